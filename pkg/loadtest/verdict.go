package loadtest

import (
	"errors"
	"fmt"
	"time"
)

// Thresholds are the limits every step must stay within.
type Thresholds struct {
	// MaxErrorRatio is the highest share of failed requests, 0 to 1 (1 checks nothing).
	MaxErrorRatio float64
	// P50, P95 and P99 bound the latency percentiles; 0 checks nothing.
	P50, P95, P99 time.Duration
}

// Validate reports thresholds out of range.
func (t Thresholds) Validate() error {
	var errs []error
	if t.MaxErrorRatio < 0 || t.MaxErrorRatio > 1 {
		errs = append(errs, fmt.Errorf("the error ratio limit %g is out of range: give 0 to 1 (or 0%% to 100%%)", t.MaxErrorRatio))
	}
	for _, p := range []struct {
		name string
		d    time.Duration
	}{{"p50", t.P50}, {"p95", t.P95}, {"p99", t.P99}} {
		if p.d < 0 {
			errs = append(errs, fmt.Errorf("the %s limit %s is negative: give a duration such as 250ms, or 0 for none", p.name, p.d))
		}
	}
	return errors.Join(errs...)
}

// Comparison judges a result against a previous run's.
type Comparison struct {
	// Baseline is the previous run's result.
	Baseline *Result
	// MaxP99Growth is how much p99 may grow over the baseline's, in percent (20 allows 1.2×).
	MaxP99Growth float64
	// MaxErrorRatioGrowth is how many percentage points the error ratio may rise over the
	// baseline's (1 allows 0.5% to become 1.5%).
	MaxErrorRatioGrowth float64
}

// Check is one judged figure.
type Check struct {
	// Step is the step's label ("50 req/s") or "total".
	Step string `json:"step"`
	// What names the figure and its rule: "p99", "error ratio", "p99 vs baseline"...
	What string `json:"what"`
	// Got is the measured value, Limit the most it may be, both formatted for people.
	Got   string `json:"got"`
	Limit string `json:"limit"`
	// Pass tells whether Got is within Limit.
	Pass bool `json:"pass"`
}

// Verdict is the judgement of a result.
type Verdict struct {
	Pass   bool    `json:"pass"`
	Checks []Check `json:"checks"`
}

// Failures returns the failed checks as sentences.
func (v *Verdict) Failures() []string {
	var out []string
	for _, c := range v.Checks {
		if !c.Pass {
			out = append(out, fmt.Sprintf("%s: %s is %s, above the limit %s", c.Step, c.What, c.Got, c.Limit))
		}
	}
	return out
}

// Judge checks every step of res against th and, when cmp is not nil, against the baseline: step
// by step when both runs have the same steps, else on the totals. A step that measured nothing
// fails.
func Judge(res *Result, th Thresholds, cmp *Comparison) *Verdict {
	v := &Verdict{Pass: true}
	add := func(c Check) {
		v.Checks = append(v.Checks, c)
		v.Pass = v.Pass && c.Pass
	}
	if len(res.Steps) == 0 {
		add(Check{Step: "total", What: "steps", Got: "0", Limit: "at least 1"})
	}
	for _, s := range res.Steps {
		if s.Requests == 0 {
			add(Check{Step: s.Label(), What: "requests", Got: "0", Limit: "at least 1", Pass: false})
			continue
		}
		add(Check{Step: s.Label(), What: "error ratio", Got: percent(s.ErrorRatio), Limit: percent(th.MaxErrorRatio), Pass: s.ErrorRatio <= th.MaxErrorRatio})
		for _, p := range []struct {
			name  string
			got   float64
			limit time.Duration
		}{{"p50", s.Latency.P50, th.P50}, {"p95", s.Latency.P95, th.P95}, {"p99", s.Latency.P99, th.P99}} {
			if p.limit > 0 {
				add(Check{Step: s.Label(), What: p.name, Got: millis(p.got), Limit: millis(ms(p.limit)), Pass: p.got <= ms(p.limit)})
			}
		}
	}
	if cmp != nil && cmp.Baseline != nil {
		for _, pair := range pairs(res, cmp.Baseline) {
			now, base := pair[0], pair[1]
			if now.Requests == 0 {
				continue
			}
			label := now.Label()
			p99Limit := round(base.Latency.P99*(1+cmp.MaxP99Growth/100), 3)
			add(Check{Step: label, What: fmt.Sprintf("p99 vs baseline %s (+%s%%)", millis(base.Latency.P99), formatNumber(cmp.MaxP99Growth)),
				Got: millis(now.Latency.P99), Limit: millis(p99Limit), Pass: now.Latency.P99 <= p99Limit})
			errLimit := base.ErrorRatio + cmp.MaxErrorRatioGrowth/100
			add(Check{Step: label, What: fmt.Sprintf("error ratio vs baseline %s (+%s points)", percent(base.ErrorRatio), formatNumber(cmp.MaxErrorRatioGrowth)),
				Got: percent(now.ErrorRatio), Limit: percent(errLimit), Pass: now.ErrorRatio <= errLimit+1e-9})
		}
	}
	return v
}

// pairs matches the steps of res with the baseline's when both have the same rates, else the totals.
func pairs(res, base *Result) [][2]StepResult {
	if len(res.Steps) == len(base.Steps) {
		same := true
		for i := range res.Steps {
			same = same && res.Steps[i].TargetRate == base.Steps[i].TargetRate
		}
		if same {
			out := make([][2]StepResult, len(res.Steps))
			for i := range res.Steps {
				out[i] = [2]StepResult{res.Steps[i], base.Steps[i]}
			}
			return out
		}
	}
	return [][2]StepResult{{res.Total, base.Total}}
}

// BaselineFor returns the baseline's step compared with res's step i, if steps are compared one
// by one.
func BaselineFor(res, base *Result, i int) (StepResult, bool) {
	if base == nil || len(res.Steps) != len(base.Steps) || i >= len(base.Steps) || res.Steps[i].TargetRate != base.Steps[i].TargetRate {
		return StepResult{}, false
	}
	return base.Steps[i], true
}

func percent(ratio float64) string { return formatNumber(ratio*100) + "%" }

func millis(v float64) string { return formatNumber(v) + " ms" }
