package loadtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Result is what a load test measured, step by step. It encodes as the JSON a later run takes as
// its baseline.
type Result struct {
	// WarmupRequests counts the requests of the warm-up, which are measured nowhere else.
	WarmupRequests uint64 `json:"warmup_requests"`
	// Steps has one entry per step that started, in order.
	Steps []StepResult `json:"steps"`
	// Total covers every measured request of every step.
	Total StepResult `json:"total"`
	// Canceled is true when the test was stopped before its end; the steps hold what was
	// measured until then.
	Canceled bool `json:"canceled,omitempty"`
	// Verdict is the judgement of the result, when one was made.
	Verdict *Verdict `json:"verdict,omitempty"`
}

// StepResult is what one step (or the whole test) measured.
type StepResult struct {
	// TargetRate is the rate asked for, in requests per second (0 for the total).
	TargetRate float64 `json:"target_rate"`
	// Seconds is the wall time of the step, from its first request to its last response.
	Seconds float64 `json:"seconds"`
	// Requests counts the requests sent.
	Requests uint64 `json:"requests"`
	// Rate is the rate achieved, in requests per second.
	Rate float64 `json:"rate"`
	// Throughput is the rate of successful requests (2xx and 3xx), per second.
	Throughput float64 `json:"throughput"`
	// ErrorRatio is the share of failed requests (no response, or a status outside 2xx/3xx), 0 to 1.
	ErrorRatio float64 `json:"error_ratio"`
	// Latency holds the latency percentiles.
	Latency Latency `json:"latency_ms"`
	// StatusCodes counts responses by status code ("0" when there was no response).
	StatusCodes map[string]int `json:"status_codes"`
	// Errors lists the distinct errors, at most MaxErrors of them.
	Errors []string `json:"errors,omitempty"`
}

// Latency holds latencies in milliseconds.
type Latency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// MaxErrors bounds the distinct errors kept per step.
const MaxErrors = 10

// Label names the step for tables and charts: "50 req/s", or "total".
func (s StepResult) Label() string {
	if s.TargetRate == 0 {
		return "total"
	}
	return fmt.Sprintf("%s req/s", formatNumber(s.TargetRate))
}

// stepResult summarizes vegeta's metrics of one step.
func stepResult(rate float64, m *vegeta.Metrics) StepResult {
	m.Close()
	s := StepResult{
		TargetRate:  rate,
		Seconds:     round(m.Duration.Seconds()+m.Wait.Seconds(), 3),
		Requests:    m.Requests,
		Rate:        round(m.Rate, 2),
		Throughput:  round(m.Throughput, 2),
		StatusCodes: m.StatusCodes,
		Latency: Latency{
			Mean: ms(m.Latencies.Mean), P50: ms(m.Latencies.P50), P95: ms(m.Latencies.P95),
			P99: ms(m.Latencies.P99), Max: ms(m.Latencies.Max),
		},
	}
	if s.StatusCodes == nil {
		s.StatusCodes = map[string]int{}
	}
	if m.Requests > 0 {
		s.ErrorRatio = round(1-m.Success, 4)
	}
	errs := append([]string(nil), m.Errors...)
	sort.Strings(errs)
	if len(errs) > MaxErrors {
		errs = append(errs[:MaxErrors], fmt.Sprintf("... and %d other errors", len(errs)-MaxErrors))
	}
	s.Errors = errs
	return s
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func formatNumber(v float64) string {
	return fmt.Sprintf("%g", round(v, 3))
}

// JSON encodes the result.
func (r *Result) JSON() (string, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("failed to encode the result: %w", err)
	}
	return string(b), nil
}

// ParseResult decodes a result encoded by JSON, such as a previous run's, to compare with.
func ParseResult(data []byte) (*Result, error) {
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("not a load-test result (the result output of a previous run): %w", err)
	}
	if len(r.Steps) == 0 || r.Total.Requests == 0 {
		return nil, errors.New("the result has no measured requests: give the result output of a previous run that completed")
	}
	return &r, nil
}
