package deployswarm

import (
	"fmt"
	"strings"
	"testing"

	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/swarm"
)

func TestTimeline(t *testing.T) {
	t.Parallel()
	var many []swarm.ServiceResult
	for i := range 35 {
		many = append(many, swarm.ServiceResult{Name: fmt.Sprintf("big_s%02d", i), State: swarm.StateUpdated,
			Update: &swarm.Timing{Start: at(i), End: at(1000 + i), Converged: true}})
	}
	tests := []struct {
		name    string
		res     *swarm.Result
		want    []string
		notWant []string
	}{
		{
			name:    "nothing changed: no timeline",
			res:     &swarm.Result{Stack: "shop", Services: []swarm.ServiceResult{{Name: "shop_cache", State: swarm.StateUnchanged}}},
			notWant: []string{"Timeline", "mermaid"},
		},
		{
			name: "a failed rollback is red, an end before the start drawn as an instant",
			res: &swarm.Result{Stack: "shop", Services: []swarm.ServiceResult{{Name: "shop_api", State: swarm.StateRollbackFailed,
				Update:   &swarm.Timing{Start: at(1000), End: at(900), Failed: true},
				Rollback: &swarm.Timing{Start: at(2000), End: at(62000), Failed: true}}}},
			want: []string{"shop_api failed :crit, u0, 00:00:00.000, 00:00:00.000\n", "section Rollback\n    shop_api failed :crit, r0, 00:00:01.000, 00:01:01.000\n"},
		},
		{
			name:    "a large stack: 30 services drawn, and said",
			res:     &swarm.Result{Stack: "big", Services: many},
			want:    []string{"The timeline draws the first 30 changed services by name; 5 more are in the table above.", "big_s29 :u29, "},
			notWant: []string{"big_s30", "section Rollback"},
		},
		{
			name: "a hostile service name stays one label",
			res: &swarm.Result{Stack: "x", Services: []swarm.ServiceResult{{Name: "x_a:crit, z\nsection Evil", State: swarm.StateUpdated,
				Update: &swarm.Timing{Start: at(0), End: at(5), Converged: true}}}},
			want:    []string{"    x_a#58;crit, z section Evil :u0, 00:00:00.000, 00:00:00.005\n"},
			notWant: []string{"\n    section Evil"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var s action.Summary
			timeline(&s, tc.res)
			b := s.String()
			for _, w := range tc.want {
				if !strings.Contains(b, w) {
					t.Errorf("timeline lacks %q:\n%s", w, b)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(b, w) {
					t.Errorf("timeline has %q:\n%s", w, b)
				}
			}
		})
	}
}
