package loadtest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func step(rate float64, requests uint64, errRatio, p50, p95, p99 float64) StepResult {
	return StepResult{TargetRate: rate, Requests: requests, ErrorRatio: errRatio, Latency: Latency{P50: p50, P95: p95, P99: p99}}
}

func TestJudge(t *testing.T) {
	res := &Result{Steps: []StepResult{step(10, 100, 0, 5, 9, 12), step(50, 500, 0.02, 8, 30, 60)}, Total: step(0, 600, 0.017, 7, 25, 55)}
	base := &Result{Steps: []StepResult{step(10, 100, 0, 5, 9, 10), step(50, 500, 0.0, 8, 20, 40)}, Total: step(0, 600, 0, 7, 18, 38)}
	otherSteps := &Result{Steps: []StepResult{step(100, 1000, 0, 5, 9, 10)}, Total: step(0, 1000, 0.01, 5, 9, 50)}
	for _, tc := range []struct {
		name     string
		th       Thresholds
		cmp      *Comparison
		pass     bool
		failures []string
	}{
		{name: "within thresholds", th: Thresholds{MaxErrorRatio: 0.05, P50: 10 * time.Millisecond, P95: 50 * time.Millisecond, P99: 100 * time.Millisecond}, pass: true},
		{name: "p99 and errors above", th: Thresholds{MaxErrorRatio: 0.01, P99: 50 * time.Millisecond}, failures: []string{
			"50 req/s: error ratio is 2%, above the limit 1%", "50 req/s: p99 is 60 ms, above the limit 50 ms"}},
		{name: "baseline step by step", th: Thresholds{MaxErrorRatio: 1}, cmp: &Comparison{Baseline: base, MaxP99Growth: 25, MaxErrorRatioGrowth: 1}, failures: []string{
			"50 req/s: p99 vs baseline 40 ms (+25%) is 60 ms, above the limit 50 ms",
			"50 req/s: error ratio vs baseline 0% (+1 points) is 2%, above the limit 1%"}},
		{name: "baseline with other steps compares totals", th: Thresholds{MaxErrorRatio: 1}, cmp: &Comparison{Baseline: otherSteps, MaxP99Growth: 20, MaxErrorRatioGrowth: 1}, pass: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Judge(res, tc.th, tc.cmp)
			if v.Pass != tc.pass {
				t.Errorf("Pass = %v, want %v; checks %+v", v.Pass, tc.pass, v.Checks)
			}
			if diff := cmp.Diff(tc.failures, v.Failures()); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
		})
	}
	if v := Judge(&Result{Steps: []StepResult{{TargetRate: 10}}}, Thresholds{MaxErrorRatio: 1}, nil); v.Pass {
		t.Error("a step without requests passed")
	}
	if v := Judge(&Result{Canceled: true}, Thresholds{MaxErrorRatio: 1}, nil); v.Pass {
		t.Error("a run canceled before its first step passed")
	}
}

func TestThresholdsValidate(t *testing.T) {
	err := Thresholds{MaxErrorRatio: 1.5, P95: -time.Second}.Validate()
	for _, w := range []string{"error ratio limit 1.5 is out of range", "p95 limit -1s is negative"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
	if err := (Thresholds{MaxErrorRatio: 0}).Validate(); err != nil {
		t.Errorf("zero thresholds: %v", err)
	}
}

func TestResultJSONRoundTrip(t *testing.T) {
	res := &Result{WarmupRequests: 3, Steps: []StepResult{step(10, 100, 0, 5, 9, 12)}, Total: step(0, 100, 0, 5, 9, 12)}
	res.Verdict = Judge(res, Thresholds{MaxErrorRatio: 0}, nil)
	text, err := res.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"target_rate":10`, `"latency_ms":{`, `"p99":12`, `"verdict":{"pass":true`} {
		if !strings.Contains(text, want) {
			t.Errorf("JSON lacks %s: %s", want, text)
		}
	}
	back, err := ParseResult([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	for _, tc := range []struct{ text, want string }{
		{"nope", "not a load-test result"},
		{`{"steps":[]}`, "no measured requests"},
	} {
		if _, err := ParseResult([]byte(tc.text)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseResult(%q) = %v, want %q", tc.text, err, tc.want)
		}
	}
}
