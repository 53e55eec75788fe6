package loadtestaction

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twittix/infra/pkg/loadtest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

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
	path := filepath.Join("testdata", "summary.golden.md")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("summary differs from %s (-want +got):\n%s", path, diff)
	}
}
