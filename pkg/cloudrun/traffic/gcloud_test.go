package traffic

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"cloud.google.com/go/run/apiv2/runpb"
)

// TestPlanRoundsAsGcloud checks Plan against answers of gcloud 528 itself: each gcloud column is
// what TrafficTargets.UpdateTraffic (googlecloudsdk/api_lib/run/traffic.py) computed for the
// current split and the spec, run with the SDK's Python, written the way gcloud orders targets
// (by revision name, LATEST last) without the 0% targets gcloud keeps and Plan drops.
func TestPlanRoundsAsGcloud(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, current, spec, gcloud string
	}{
		// The three examples of issue 11.
		{name: "equal fractions: the smaller share first", current: "a=10,b=30,c=60", spec: "c=98", gcloud: "a=1,b=1,c=98"},
		{name: "equal shares: the smaller name first", current: "b=50,a=50", spec: "c=33", gcloud: "a=34,b=33,c=33"},
		{name: "equal shares: LATEST last", current: "LATEST=50,a=50", spec: "c=33", gcloud: "a=34,c=33,LATEST=33"},
		// Fractions equal in exact arithmetic that gcloud's floats tell apart.
		{name: "floats: 23*50/75 loses more than 11*50/75 and 41*50/75", current: "a=25,b=23,c=11,d=41", spec: "a=50", gcloud: "a=50,b=16,c=7,d=27"},
		{name: "floats: 40/6 loses more than 10/6", current: "a=1,b=1,c=4,d=94", spec: "d=90", gcloud: "a=2,b=1,c=7,d=90"},
		{name: "floats: 94*88/99 loses more than 4*88/99", current: "a=1,b=1,c=4,d=94", spec: "a=12", gcloud: "a=12,b=1,c=3,d=84"},
		{name: "floats: 4*100/6 before 1*100/6", current: "a=1,b=1,c=4,d=94", spec: "d=0", gcloud: "a=17,b=16,c=67"},
		{name: "floats: three equal fractions", current: "a=1,b=1,c=4,d=94", spec: "d=8", gcloud: "a=15,b=15,c=62,d=8"},
		{name: "floats: a revision rounded down to 0 is dropped", current: "a=1,b=1,c=4,d=94", spec: "a=89", gcloud: "a=89,d=11"},
		{name: "equal halves: LATEST after b", current: "LATEST=25,b=25,a=50", spec: "a=95", gcloud: "a=95,b=3,LATEST=2"},
		{name: "equal halves: the smaller share before the earlier target", current: "b=3,a=1,LATEST=96", spec: "LATEST=50", gcloud: "a=13,b=37,LATEST=50"},
		{name: "largest fraction first", current: "a=20,b=10,c=70", spec: "c=95", gcloud: "a=3,b=2,c=95"},
		{name: "LATEST last among equal shares", current: "x=50,LATEST=50", spec: "y=33", gcloud: "x=34,y=33,LATEST=33"},
		{name: "two assignments", current: "a=33,b=33,c=34", spec: "c=1,d=2", gcloud: "a=49,b=48,c=1,d=2"},
		{name: "assignment to zero", current: "a=70,b=20,c=10", spec: "a=0,d=50", gcloud: "b=33,c=17,d=50"},
		{name: "four shares", current: "a=7,b=11,c=13,d=69", spec: "d=50,e=1", gcloud: "a=11,b=17,c=21,d=50,e=1"},
		{name: "share of 0.4 dropped", current: "a=1,b=2,c=97", spec: "c=99", gcloud: "b=1,c=99"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assign := mustAssign(t, tc.spec)
			var known []string
			for _, a := range assign {
				known = append(known, a.Name)
			}
			got, err := Plan(split(t, tc.current), assign, known)
			if err != nil {
				t.Fatalf("Plan(%q, %q) error = %v", tc.current, tc.spec, err)
			}
			if g := gcloudOrder(got); g != tc.gcloud {
				t.Errorf("Plan(%q, %q) = %s, gcloud gives %s", tc.current, tc.spec, g, tc.gcloud)
			}
		})
	}
}

// gcloudOrder writes the serving targets of a split as gcloud lays them out: one per revision,
// sorted by name, LATEST last.
func gcloudOrder(targets []*runpb.TrafficTarget) string {
	percents, keys := Percents(targets)
	sort.Slice(keys, func(i, j int) bool {
		if (keys[i] == Latest) != (keys[j] == Latest) {
			return keys[j] == Latest
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, percents[k])
	}
	return strings.Join(parts, ",")
}
