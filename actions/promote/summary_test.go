package promote

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twittix/infra/internal/testenv/golden"
	"github.com/twittix/infra/pkg/cloudrun"
	"github.com/twittix/infra/pkg/cloudrun/traffic"
)

func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	before := []traffic.Entry{{Revision: "web-00041-abc", Percent: 100, Tag: "prod"}}
	tests := []struct {
		name string
		mode string
		res  *cloudrun.Result
		err  error
	}{
		{
			name: "canary-rolled-back",
			mode: "canary",
			res: &cloudrun.Result{
				Service: "projects/p/locations/europe-west1/services/web", URL: "https://web-xyz.a.run.app",
				Revision: "web-sha-1a2b3c4-kqz", Tag: "sha-1a2b3c4", TagURL: "https://sha-1a2b3c4---web-xyz.a.run.app",
				PreviousTraffic: before,
				Traffic:         []traffic.Entry{{Revision: "web-00041-abc", Percent: 100, Tag: "prod"}, {Revision: "web-sha-1a2b3c4-kqz", Tag: "sha-1a2b3c4"}},
				Changed:         true, RolledBack: true,
				Steps: []cloudrun.Step{
					{Percent: 10, Bake: 5 * time.Minute, Elapsed: 5*time.Minute + 2*time.Second, Evaluations: 11, Passed: true, Checks: []cloudrun.Check{
						{Name: "ready", Passed: true, Detail: "Ready"},
						{Name: "probe", Passed: true, Detail: "GET /healthz: 200 (12ms)"},
						{Name: "metrics", Passed: true, Detail: "1/420 5xx (0.24%), p99 180ms",
							Stats: &cloudrun.Stats{Requests: 420, Errors5xx: 1, P99: 180 * time.Millisecond, HasLatency: true}}}},
					{Percent: 50, Bake: 5 * time.Minute, Elapsed: 90 * time.Second, Evaluations: 4, Checks: []cloudrun.Check{
						{Name: "ready", Passed: true, Detail: "Ready"},
						{Name: "probe", Passed: true, Detail: "GET /healthz: 200 (15ms)"},
						{Name: "metrics", Detail: "96/2400 5xx (4.00%), p99 950ms: 5xx ratio above the maximum 1.00%",
							Stats: &cloudrun.Stats{Requests: 2400, Errors5xx: 96, P99: 950 * time.Millisecond, HasLatency: true}}}},
				},
				MetricGate: &cloudrun.MetricGate{Max5xxRatio: 0.01, MaxP99: time.Second, MinRequests: 100},
			},
			err: errors.New("canary of revision web-sha-1a2b3c4-kqz failed its gate at step 2 (50%): metrics: 96/2400 5xx (4.00%), p99 950ms: 5xx ratio above the maximum 1.00%; the traffic is back to web-00041-abc 100%"),
		},
		{
			name: "shift-unchanged",
			mode: "shift",
			res:  &cloudrun.Result{Revision: "web-00041-abc", PreviousTraffic: before, Traffic: before},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := summary(tc.mode, "web", 3, tc.res, tc.err, func(s string) string { return strings.ReplaceAll(s, "s3cr3t", "***") }).String()
			golden.Check(t, filepath.Join("testdata", tc.name+".golden.md"), got)
		})
	}
}
