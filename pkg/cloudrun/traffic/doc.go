// Package traffic plans Cloud Run traffic splits as pure functions over the
// cloud.google.com/go/run/apiv2/runpb TrafficTarget type.
//
// The rules are those of `gcloud run services update-traffic`: the current split must total 100,
// assigned percents are between 0 and 100 and total at most 100, serving targets that are not
// named are scaled in proportion to take the rest (the rounding remainder going to the largest
// fractional parts), targets left at 0% are dropped while their tags are kept, and the result
// always totals 100. Nothing here talks to Cloud Run: callers read a service, plan, and write
// the plan back, which keeps every rule testable with input/expected tables.
package traffic
