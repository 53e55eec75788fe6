// Package fakerun is an in-process Cloud Run Admin API v2 for tests: a gRPC server of the
// official google.cloud.run.v2.Services and Revisions protos and of google.longrunning.Operations,
// reached by the real cloud.google.com/go/run/apiv2 clients.
//
// It behaves like Cloud Run where the promote action depends on it:
//   - a service update whose template differs from the current one creates a revision (named by
//     template.revision, else SERVICE-NNNNN-xyz), whose Ready condition goes from
//     CONDITION_RECONCILING to CONDITION_SUCCEEDED, or to CONDITION_FAILED with a message and a
//     log URI when the test says so for its image (SetOutcome); the update's long-running
//     operation completes when the revision does, with an error when it failed;
//   - traffic is validated (totals 100, known revisions of the service, unique tags, no traffic
//     to a failed revision) and resolved into traffic_statuses (LATEST to the latest ready
//     revision, tags to their URLs);
//   - every change of a service, by a client or by reconciliation, gives it a new etag, and an
//     update carrying another etag is refused with ABORTED;
//   - the service URL and each tag URL are served by local HTTP servers that route requests to
//     the revision's handler (a default 200 page, or one the test sets), the service URL by the
//     traffic percents.
//
// Tests inject faults (Fail: the next calls of a method fail with a gRPC code; FailAfter: they run,
// then their answer is lost and replaced by a gRPC code), run code between
// calls (Before: e.g. a concurrent change between a read and a write), make changes as another
// operator would (SetTraffic) and count the calls of each method (Calls).
package fakerun
