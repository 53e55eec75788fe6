package loadtestaction

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/twittix/infra/internal/testenv/golden"
	"github.com/twittix/infra/pkg/loadtest"
)

func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	step := func(rate float64, req uint64, errRatio, p50, p95, p99 float64, codes map[string]int, errs ...string) loadtest.StepResult {
		return loadtest.StepResult{TargetRate: rate, Seconds: float64(req) / rate, Requests: req, Rate: rate, Throughput: rate * (1 - errRatio),
			ErrorRatio: errRatio, Latency: loadtest.Latency{Mean: p50, P50: p50, P95: p95, P99: p99, Max: p99 * 2}, StatusCodes: codes, Errors: errs}
	}
	base := &loadtest.Result{Steps: []loadtest.StepResult{step(10, 300, 0, 5, 9, 12, map[string]int{"200": 300}), step(50, 1500, 0, 6, 14, 20, map[string]int{"200": 1500})}}
	base.Total = step(0.001, 1800, 0, 6, 13, 19, nil)
	base.Total.TargetRate = 0
	res := &loadtest.Result{WarmupRequests: 50, Steps: []loadtest.StepResult{
		step(10, 300, 0, 5, 10, 13, map[string]int{"200": 300}),
		step(50, 1500, 0.02, 9, 40, 95, map[string]int{"200": 1470, "0": 30}, `Get "http://web/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`),
	}}
	res.Total = step(1, 1800, 0.0167, 8, 35, 90, map[string]int{"200": 1770, "0": 30})
	res.Total.TargetRate = 0
	th := loadtest.Thresholds{MaxErrorRatio: 0.01, P99: 100 * time.Millisecond}
	res.Verdict = loadtest.Judge(res, th, &loadtest.Comparison{Baseline: base, MaxP99Growth: 20, MaxErrorRatioGrowth: 1})

	got := summary(res, th, base).String()
	golden.Check(t, filepath.Join("testdata", "summary.golden.md"), got)
}
