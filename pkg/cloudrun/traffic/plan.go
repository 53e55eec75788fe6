package traffic

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"cloud.google.com/go/run/apiv2/runpb"
)

const (
	typeLatest   = runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
	typeRevision = runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
)

// Key returns what a target routes to: its revision name, or Latest for a LATEST target.
func Key(t *runpb.TrafficTarget) string {
	if t.GetType() == typeLatest || (t.GetType() != typeRevision && t.GetRevision() == "") {
		return Latest
	}
	return t.GetRevision()
}

// NewTarget returns a target routing percent of the traffic to key (a revision name or Latest)
// under tag (which may be empty).
func NewTarget(key string, percent int32, tag string) *runpb.TrafficTarget {
	if key == Latest {
		return &runpb.TrafficTarget{Type: typeLatest, Percent: percent, Tag: tag}
	}
	return &runpb.TrafficTarget{Type: typeRevision, Revision: key, Percent: percent, Tag: tag}
}

// Normalize returns targets, or 100% to LATEST when targets is empty (what Cloud Run does for a
// service created without a traffic section).
func Normalize(targets []*runpb.TrafficTarget) []*runpb.TrafficTarget {
	if len(targets) == 0 {
		return []*runpb.TrafficTarget{NewTarget(Latest, 100, "")}
	}
	return targets
}

// Total returns the sum of the percents of targets.
func Total(targets []*runpb.TrafficTarget) int {
	total := 0
	for _, t := range targets {
		total += int(t.GetPercent())
	}
	return total
}

// Percents returns the percent routed to each key of targets (several targets of one key add up)
// and the keys with a non-zero percent in the order they first appear.
func Percents(targets []*runpb.TrafficTarget) (map[string]int32, []string) {
	m := map[string]int32{}
	var order []string
	for _, t := range targets {
		if t.GetPercent() == 0 {
			continue
		}
		k := Key(t)
		if _, ok := m[k]; !ok {
			order = append(order, k)
		}
		m[k] += t.GetPercent()
	}
	return m, order
}

// Tags returns the key each tag of targets routes to.
func Tags(targets []*runpb.TrafficTarget) map[string]string {
	m := map[string]string{}
	for _, t := range targets {
		if t.GetTag() != "" {
			m[t.GetTag()] = Key(t)
		}
	}
	return m
}

// Validate checks a split as Cloud Run stores it: percents from 0 to 100 totalling 100, a
// revision name on every REVISION target, and each tag used once.
func Validate(targets []*runpb.TrafficTarget) error {
	var errs []error
	tags := map[string]bool{}
	for i, t := range targets {
		if p := t.GetPercent(); p < 0 || p > 100 {
			errs = append(errs, fmt.Errorf("target %d (%s) has percent %d, outside 0 to 100", i, Key(t), p))
		}
		if t.GetType() == typeRevision && t.GetRevision() == "" {
			errs = append(errs, fmt.Errorf("target %d is of type REVISION but names no revision", i))
		}
		if tag := t.GetTag(); tag != "" {
			if tags[tag] {
				errs = append(errs, fmt.Errorf("tag %q is used by more than one target", tag))
			}
			tags[tag] = true
		}
	}
	if total := Total(targets); total != 100 {
		errs = append(errs, fmt.Errorf("the traffic totals %d%%, not 100%%", total))
	}
	return errors.Join(errs...)
}

// Resolve returns the key an assignment names in the split current: LATEST, the revision a tag
// routes to, or a revision name that is in current or in known (revisions the caller knows to
// exist). A bare name that is both a tag and a different revision is refused as ambiguous.
func Resolve(current []*runpb.TrafficTarget, a Assignment, known []string) (string, error) {
	if a.Kind == ToLatest {
		return Latest, nil
	}
	tags := Tags(current)
	tagKey, isTag := tags[a.Name]
	isRev := slices.Contains(known, a.Name) || slices.ContainsFunc(current, func(t *runpb.TrafficTarget) bool {
		return Key(t) == a.Name
	})
	switch a.Kind {
	case ByTag:
		if !isTag {
			return "", fmt.Errorf("unknown tag %q: the service's tags are %s", a.Name, list(keysOf(tags)))
		}
		return tagKey, nil
	case ByRevision:
		if !isRev {
			return "", fmt.Errorf("unknown revision %q: it is not in the service's traffic and was not found; check the name with `gcloud run revisions list`", a.Name)
		}
		return a.Name, nil
	}
	switch {
	case isTag && isRev && tagKey != a.Name:
		return "", fmt.Errorf("%q is both a tag (of %s) and a revision: write tag:%s or revision:%s", a.Name, tagKey, a.Name, a.Name)
	case isTag:
		return tagKey, nil
	case isRev:
		return a.Name, nil
	}
	return "", fmt.Errorf("unknown revision or tag %q: the service's tags are %s; name an existing revision, a tag or LATEST", a.Name, list(keysOf(tags)))
}

// Plan returns the split after assigning the percents of assign to the split current, with the
// semantics of `gcloud run services update-traffic` and the deliberate differences listed in the
// package documentation:
//   - current must total 100 (an empty current means LATEST=100);
//   - assigned percents are 0 to 100 and total at most 100; two assignments may not name the
//     same revision;
//   - the rest of the traffic goes to the serving targets not named, in proportion to their
//     current percents, rounded as gcloud rounds (see shares), so the result totals exactly 100;
//   - targets left at 0% are dropped, but a tag they carry is kept on a 0% target.
//
// Names are resolved by Resolve; known lists revisions the caller knows to exist besides those
// in current.
func Plan(current []*runpb.TrafficTarget, assign []Assignment, known []string) ([]*runpb.TrafficTarget, error) {
	current = Normalize(current)
	if err := Validate(current); err != nil {
		return nil, fmt.Errorf("the service's current traffic cannot be rebalanced: %w; set the whole split explicitly (percents totalling 100)", err)
	}
	want := map[string]int32{}
	by := map[string]Assignment{}
	var order []string
	var errs []error
	assigned := 0
	for _, a := range assign {
		if a.Percent < 0 || a.Percent > 100 {
			errs = append(errs, fmt.Errorf("%s: percent %d is out of range: use an integer from 0 to 100", a.target(), a.Percent))
			continue
		}
		k, err := Resolve(current, a, known)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := by[k]; dup {
			errs = append(errs, fmt.Errorf("%s and %s both name %s: give it one percent", prev.target(), a.target(), k))
			continue
		}
		by[k] = a
		want[k] = a.Percent
		order = append(order, k)
		assigned += int(a.Percent)
	}
	if assigned > 100 {
		errs = append(errs, fmt.Errorf("over 100%% of traffic is assigned (%d%%): the percents may total at most 100", assigned))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	cur, curOrder := Percents(current)
	var rest []string
	restTotal := 0
	for _, k := range curOrder {
		if _, named := want[k]; !named {
			rest = append(rest, k)
			restTotal += int(cur[k])
		}
	}
	remaining := 100 - assigned
	if remaining > 0 && restTotal == 0 {
		return nil, fmt.Errorf("the spec assigns %d%% and no other target serves traffic to take the remaining %d%%: assign 100%% in total", assigned, remaining)
	}
	return rebuild(current, shares(want, rest, cur, restTotal, remaining), order), nil
}

// shares returns the integer percent of every key of assigned and of rest, computed as gcloud's
// TrafficTargets.UpdateTraffic does (googlecloudsdk/api_lib/run/traffic.py): the keys of rest
// share remaining in proportion to their percents in cur (which total restTotal), each share
// computed in floating point as percent*remaining/restTotal; every share is truncated, and the rounding remainder goes one
// percent at a time to the keys in the order of gcloud's NewRoundingCorrectionPrecedence.
func shares(assigned map[string]int32, rest []string, cur map[string]int32, restTotal, remaining int) map[string]int32 {
	floats := make(map[string]float64, len(assigned)+len(rest))
	for k, p := range assigned {
		floats[k] = float64(p)
	}
	if remaining > 0 {
		for _, k := range rest {
			floats[k] = float64(cur[k]) * float64(remaining) / float64(restTotal)
		}
	}
	return intPercentages(floats)
}

// intPercentages rounds float percents totalling 100 to integers totalling 100 as gcloud's
// _IntPercentages does: each is truncated, and the percents lost are given back one at a time in
// the order of roundingPrecedence.
func intPercentages(floats map[string]float64) map[string]int32 {
	out := make(map[string]int32, len(floats))
	keys := make([]string, 0, len(floats))
	sum, truncated := 0.0, 0
	for k, f := range floats {
		keys = append(keys, k)
		out[k] = int32(f)
		truncated += int(f)
		sum += f
	}
	// gcloud takes int(round(sum)); the floats total 100 within a rounding error, so summing in
	// another order cannot change the rounded value.
	loss := int(math.Round(sum)) - truncated
	sort.Slice(keys, func(i, j int) bool { return roundingPrecedence(keys[i], floats[keys[i]], keys[j], floats[keys[j]]) })
	for _, k := range keys[:min(max(loss, 0), len(keys))] {
		out[k]++
	}
	return out
}

// roundingPrecedence reports whether key a (percent fa) gets a rounding percent before key b
// (percent fb), in the order of gcloud's NewRoundingCorrectionPrecedence: the larger part lost
// by truncation first (compared as gcloud does, as the float 1 minus that part), then the
// smaller percent, then the smaller revision name, LATEST last.
func roundingPrecedence(a string, fa float64, b string, fb float64) bool {
	if la, lb := lostComplement(fa), lostComplement(fb); la != lb {
		return la < lb
	}
	if fa != fb {
		return fa < fb
	}
	if (a == Latest) != (b == Latest) {
		return b == Latest
	}
	return a < b
}

// lostComplement returns 1 - (f - int(f)) in float64, as gcloud computes it.
func lostComplement(f float64) float64 {
	lost := f - math.Trunc(f)
	return 1 - lost
}

// rebuild returns current with the percents of want (keys absent from want get 0%). The first
// serving target of a key carries its new percent and keeps its tag; other tags of the key stay
// on 0% targets; untagged targets left at 0% are dropped; keys that did not serve before are
// appended in the order of newKeys.
func rebuild(current []*runpb.TrafficTarget, want map[string]int32, newKeys []string) []*runpb.TrafficTarget {
	var out []*runpb.TrafficTarget
	placed := map[string]bool{}
	for _, t := range current {
		k := Key(t)
		if t.GetPercent() > 0 && !placed[k] {
			placed[k] = true
			if p := want[k]; p > 0 || t.GetTag() != "" {
				out = append(out, NewTarget(k, p, t.GetTag()))
			}
			continue
		}
		if t.GetTag() != "" {
			out = append(out, NewTarget(k, 0, t.GetTag()))
		}
	}
	for _, k := range newKeys {
		if !placed[k] && want[k] > 0 {
			placed[k] = true
			out = append(out, NewTarget(k, want[k], ""))
		}
	}
	return out
}

func keysOf(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
