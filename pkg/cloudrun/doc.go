// Package cloudrun puts new Cloud Run revisions in place and moves traffic to them safely: deploy
// a revision with a tag and no traffic, shift traffic at once, run a canary gated on readiness,
// an HTTP probe and Cloud Monitoring metrics, and roll back.
//
// Cloud Run sits behind the small API interface (NewAPI implements it on the
// cloud.google.com/go/run/apiv2 clients); the traffic maths are the pure functions of package
// traffic. Every write carries the etag of the service it was planned from: when someone else
// changed the service in between, the service is read again and the change re-planned, or refused
// with a message saying why. Every traffic change records the split it replaced in the service
// annotation AnnotationPreviousTraffic, from which Rollback restores it, and a change record with
// a random id in AnnotationChange, by which a write whose answer was lost is recognized as done
// when its retry is refused. A cancelled canary puts the traffic back within a budget
// (DefaultCancelBudget) that fits the seconds a cancelled GitHub Actions job has left.
//
// The package never reads the environment and never prints: it reports progress through the
// logging.Logger it is given and returns results as values.
package cloudrun
