package promote

import (
	"strings"
	"testing"
	"time"

	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/cloudrun"
)

func TestCanaryCharts(t *testing.T) {
	t.Parallel()
	stats := &cloudrun.Stats{Requests: 1000, Errors5xx: 1, P99: 200 * time.Millisecond, HasLatency: true}
	passed := func(p int32) cloudrun.Step {
		return cloudrun.Step{Percent: p, Passed: true, Checks: []cloudrun.Check{{Name: "metrics", Passed: true, Stats: stats}}}
	}
	var many []cloudrun.Step
	for p := int32(1); p <= 30; p++ {
		many = append(many, passed(p))
	}
	tests := []struct {
		name     string
		res      *cloudrun.Result
		want     []string
		notWant  []string
		diagrams int
	}{
		{
			name:     "no steps, no chart",
			res:      &cloudrun.Result{Revision: "web-2"},
			notWant:  []string{"mermaid", "Canary charts"},
			diagrams: 0,
		},
		{
			name:     "no metric gate: the traffic chart only",
			res:      &cloudrun.Result{Revision: "web-2", Steps: []cloudrun.Step{{Percent: 10, Passed: true}, {Percent: 100, Passed: true}}},
			want:     []string{`x-axis ["10%", "100%"]`, "bar [10, 100]"},
			notWant:  []string{"5xx ratio", `✗"`},
			diagrams: 1,
		},
		{
			name: "no latency read: no p99 chart",
			res: &cloudrun.Result{Revision: "web-2", MetricGate: &cloudrun.MetricGate{Max5xxRatio: 0.05},
				Steps: []cloudrun.Step{{Percent: 10, Checks: []cloudrun.Check{{Name: "metrics", Stats: &cloudrun.Stats{Requests: 10, Errors5xx: 1}}}}}},
			want:     []string{`title "5xx ratio, maximum 5%"`, `x-axis ["10% ✗"]`, "bar [10]", "line [5]"},
			notWant:  []string{"p99"},
			diagrams: 2,
		},
		{
			name:     "many steps: the last 20 drawn, and said",
			res:      &cloudrun.Result{Revision: "web-2", MetricGate: &cloudrun.MetricGate{Max5xxRatio: 0.01, MaxP99: time.Second}, Steps: many},
			want:     []string{"The charts show the last 20 of the 30 steps.", `x-axis ["11%", `, `"30%"]`, "line [1000, 1000,"},
			notWant:  []string{`"10%"`},
			diagrams: 3,
		},
		{
			name:     "a revision name cannot end the title",
			res:      &cloudrun.Result{Revision: "web\"]\nbar [1", Steps: []cloudrun.Step{{Percent: 10, Passed: true}}},
			want:     []string{`title "Traffic to web] bar [1"`},
			diagrams: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &action.Summary{}
			canaryCharts(s, tc.res)
			md := s.String()
			if got := strings.Count(md, "```mermaid\nxychart-beta\n"); got != tc.diagrams {
				t.Errorf("%d charts, want %d:\n%s", got, tc.diagrams, md)
			}
			for _, w := range tc.want {
				if !strings.Contains(md, w) {
					t.Errorf("charts lack %q:\n%s", w, md)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(md, w) {
					t.Errorf("charts have %q:\n%s", w, md)
				}
			}
		})
	}
}
