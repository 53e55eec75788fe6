package traffic

import (
	"strconv"
	"strings"
	"testing"

	"cloud.google.com/go/run/apiv2/runpb"
)

// split builds targets from a compact notation: "a=50,b=50#blue,LATEST=0#green" is a at 50%,
// b at 50% tagged blue and a 0% LATEST target tagged green. An empty string is no targets.
func split(t testing.TB, s string) []*runpb.TrafficTarget {
	t.Helper()
	targets, ok := parseSplit(s)
	if !ok {
		t.Fatalf("bad split notation %q", s)
	}
	return targets
}

func parseSplit(s string) ([]*runpb.TrafficTarget, bool) {
	if s == "" {
		return nil, true
	}
	var out []*runpb.TrafficTarget
	for _, item := range strings.Split(s, ",") {
		item, tag, _ := strings.Cut(item, "#")
		name, pct, ok := strings.Cut(item, "=")
		if !ok {
			return nil, false
		}
		p, err := strconv.Atoi(pct)
		if err != nil || p < -1000 || p > 1000 {
			return nil, false
		}
		out = append(out, NewTarget(name, int32(p), tag))
	}
	return out, true
}

func format(targets []*runpb.TrafficTarget) string {
	var parts []string
	for _, t := range targets {
		s := Key(t) + "=" + strconv.Itoa(int(t.GetPercent()))
		if t.GetTag() != "" {
			s += "#" + t.GetTag()
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ",")
}
