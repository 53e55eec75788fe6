// Package traffic plans Cloud Run traffic splits as pure functions over the
// cloud.google.com/go/run/apiv2/runpb TrafficTarget type.
//
// The rules are those of `gcloud run services update-traffic` (TrafficTargets.UpdateTraffic in
// gcloud's googlecloudsdk/api_lib/run/traffic.py): the current split must total 100, assigned
// percents are between 0 and 100 and total at most 100, serving targets that are not named are
// scaled in proportion to take the rest, targets left at 0% are dropped while their tags are
// kept, and the result always totals 100. The shares are computed as gcloud computes them, in
// floating point, then truncated, and the rounding remainder goes one percent at a time to the
// largest fractional part, then the smaller share, then the smaller revision name with LATEST
// last; so a tie that exact arithmetic would see can be broken by gcloud's floats, and Plan
// breaks it the same way (current a=1,b=1,c=4,d=94 with d=90 gives a=2,b=1,c=7).
//
// Plan differs from gcloud on purpose where gcloud's answer is surprising:
//   - two assignments naming one revision (by tag and by name, say) are refused, where gcloud
//     keeps the last;
//   - a revision that is unknown is refused even at 0%, where gcloud skips a 0% assignment
//     without looking the name up;
//   - an empty current split reads as LATEST=100 (what Cloud Run serves), where gcloud refuses
//     it as not totalling 100;
//   - several targets of one revision count with their percents added up, where gcloud scales
//     the revision by the percent of its last target alone.
//
// The layout differs too, not the percents: Plan keeps the order of the current targets and a
// tag on its serving target, and drops untagged 0% targets; gcloud sorts targets by name, moves
// every tag to a 0% target and keeps a target its rounding left at 0%.
//
// Nothing here talks to Cloud Run: callers read a service, plan, and write the plan back, which
// keeps every rule testable with input/expected tables.
package traffic
