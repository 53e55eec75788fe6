package loadtestaction

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/twittix/infra/internal/sshinputs"
	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/loadtest"
)

// options are the inputs of the action, as read and then parsed.
type options struct {
	ssh sshinputs.Options

	targetsText, targetsFile string
	services                 string
	rate                     string
	duration, warmup         time.Duration
	requestTimeout           time.Duration
	maxErrorRatio            string
	maxP50, maxP95, maxP99   time.Duration
	baselineText             string
	baselineFile             string
	maxP99Growth             string
	maxErrorRatioGrowth      string

	// Parsed from the raw inputs above by the checks.
	targets    []vegeta.Target
	routes     map[string]string
	steps      []loadtest.Step
	thresholds loadtest.Thresholds
	comparison *loadtest.Comparison
}

// declare declares the inputs and outputs of the action (they must match action.yml; the
// repository tests check it) and the checks that parse them, so that every problem is reported
// before a request is sent.
func declare(in *action.Inputs, o *options) {
	sshinputs.Declare(in, &o.ssh, sshinputs.Spec{})

	in.Multiline(&o.targetsText, action.Input{Name: "targets", RequiredUnless: []string{"targets_file"}, ConflictsWith: []string{"targets_file"},
		Usage: "Requests in vegeta's format (METHOD URL, header lines, blank line between targets), e.g. GET http://web/healthz"})
	in.Path(&o.targetsFile, action.Input{Name: "targets_file", MustExist: true, Usage: "File of the workspace holding the targets, in vegeta's HTTP or JSON format"})
	in.Multiline(&o.services, action.Input{Name: "services", Usage: "NAME=PORT (or NAME=HOST:PORT) lines: where the service NAME of the target URLs publishes, seen from the manager"})
	in.String(&o.rate, action.Input{Name: "rate", Default: "10", Usage: "Requests per second, or steps of rates such as 10,50,100"})
	in.Duration(&o.duration, action.Input{Name: "duration", Default: "30s", Usage: "How long each step lasts"})
	in.Duration(&o.warmup, action.Input{Name: "warmup", Default: "5s", Usage: "Warm-up at the first rate, not counted; 0 for none"})
	in.Duration(&o.requestTimeout, action.Input{Name: "request_timeout", Default: "10s", Usage: "Time allowed for each request"})
	in.String(&o.maxErrorRatio, action.Input{Name: "max_error_ratio", Default: "1%", Usage: "Highest share of failed requests in any step, e.g. 1% or 0.5%"})
	in.Duration(&o.maxP50, action.Input{Name: "max_p50", Usage: "Highest p50 latency in any step, e.g. 50ms; unchecked when empty"})
	in.Duration(&o.maxP95, action.Input{Name: "max_p95", Usage: "Highest p95 latency in any step, e.g. 200ms; unchecked when empty"})
	in.Duration(&o.maxP99, action.Input{Name: "max_p99", Usage: "Highest p99 latency in any step, e.g. 500ms; unchecked when empty"})
	in.Multiline(&o.baselineText, action.Input{Name: "baseline", ConflictsWith: []string{"baseline_file"}, Usage: "The result output of a previous run to compare with"})
	in.Path(&o.baselineFile, action.Input{Name: "baseline_file", MustExist: true, Usage: "File of the workspace holding a previous run's result, to compare with"})
	in.String(&o.maxP99Growth, action.Input{Name: "max_p99_growth", Default: "20%", Usage: "How much p99 may grow over the baseline's, in percent"})
	in.String(&o.maxErrorRatioGrowth, action.Input{Name: "max_error_ratio_growth", Default: "1%", Usage: "How many percentage points the error ratio may rise over the baseline's"})

	in.Output("result", "The result as JSON: requests, rate, throughput, latency percentiles, status codes and errors per step and in total, and the verdict")
	in.Output("verdict", "pass or fail")

	in.Check(func() error { return o.parseTargets(in) })
	in.Check(func() error { return o.parseProfile() })
	in.Check(func() error { return o.parseVerdict(in) })
}

// parseTargets reads the targets and routes them to the services.
func (o *options) parseTargets(in *action.Inputs) error {
	name, text := "targets", o.targetsText
	if o.targetsFile != "" {
		b, err := os.ReadFile(o.targetsFile)
		if err != nil {
			return &action.InputError{Input: "targets_file", Problem: fmt.Sprintf("cannot be read: %v", err)}
		}
		name, text = "targets_file", string(b)
	} else if !in.IsSet("targets") {
		return nil // reported as required
	}
	var errs []error
	targets, err := loadtest.ParseTargets(text)
	if err != nil {
		errs = append(errs, inputErrors(name, err)...)
	}
	services, err := loadtest.ParseServices(o.services)
	if err != nil {
		errs = append(errs, inputErrors("services", err)...)
	}
	if len(errs) == 0 {
		routes, err := loadtest.Routes(targets, services)
		if err != nil {
			errs = append(errs, inputErrors(name, err)...)
		}
		o.targets, o.routes = targets, routes
	}
	return errors.Join(errs...)
}

// parseProfile parses the rates into steps.
func (o *options) parseProfile() error {
	steps, err := loadtest.ParseRates(o.rate, o.duration)
	if err != nil {
		var errs []error
		for _, e := range action.Flatten(err) {
			input := "rate"
			if strings.Contains(e.Error(), "duration") {
				input = "duration"
			}
			errs = append(errs, &action.InputError{Input: input, Problem: e.Error()})
		}
		return errors.Join(errs...)
	}
	o.steps = steps
	return nil
}

// parseVerdict parses the thresholds and the baseline.
func (o *options) parseVerdict(in *action.Inputs) error {
	var errs []error
	percentInput := func(name, raw string) float64 {
		v, err := parsePercent(raw)
		if err != nil {
			errs = append(errs, &action.InputError{Input: name, Problem: err.Error()})
		}
		return v
	}
	o.thresholds = loadtest.Thresholds{
		MaxErrorRatio: percentInput("max_error_ratio", o.maxErrorRatio) / 100,
		P50:           o.maxP50, P95: o.maxP95, P99: o.maxP99,
	}
	growth := percentInput("max_p99_growth", o.maxP99Growth)
	errGrowth := percentInput("max_error_ratio_growth", o.maxErrorRatioGrowth)
	if o.thresholds.MaxErrorRatio > 1 {
		errs = append(errs, &action.InputError{Input: "max_error_ratio", Problem: fmt.Sprintf("%q is above 100%%; give a share such as 1%%", o.maxErrorRatio)})
	}
	if errGrowth > 100 {
		errs = append(errs, &action.InputError{Input: "max_error_ratio_growth", Problem: fmt.Sprintf("%q is above 100 points; give e.g. 1%%", o.maxErrorRatioGrowth)})
	}
	name, text := "baseline", o.baselineText
	if o.baselineFile != "" {
		b, err := os.ReadFile(o.baselineFile)
		if err != nil {
			errs = append(errs, &action.InputError{Input: "baseline_file", Problem: fmt.Sprintf("cannot be read: %v", err)})
		}
		name, text = "baseline_file", string(b)
	}
	if strings.TrimSpace(text) != "" {
		base, err := loadtest.ParseResult([]byte(text))
		if err != nil {
			errs = append(errs, &action.InputError{Input: name, Problem: err.Error()})
		} else {
			o.comparison = &loadtest.Comparison{Baseline: base, MaxP99Growth: growth, MaxErrorRatioGrowth: errGrowth}
		}
	}
	return errors.Join(errs...)
}

// parsePercent parses a percentage, "20%" or "20", into 20.
func parsePercent(raw string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(raw), "%"), 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a percentage; give a number from 0, such as 1%% or 0.5%%", raw)
	}
	return v, nil
}

// inputErrors turns each of the joined errors of err into an error of the input name.
func inputErrors(name string, err error) []error {
	var out []error
	for _, e := range action.Flatten(err) {
		out = append(out, &action.InputError{Input: name, Problem: e.Error()})
	}
	return out
}
