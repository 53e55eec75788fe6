package loadtestaction

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/loadtest"
)

// summary renders the step summary: the verdict and its failed checks, a table per step (with
// the baseline's figures when steps are compared one by one), and a chart of the latency
// percentiles per step against the thresholds and the baseline.
func summary(res *loadtest.Result, th loadtest.Thresholds, base *loadtest.Result) *action.Summary {
	s := new(action.Summary)
	title := "Load test: passed"
	if !res.Verdict.Pass {
		title = "Load test: failed"
	}
	if res.Canceled {
		title += " (canceled: partial result)"
	}
	s.Heading(2, title)
	if failures := res.Verdict.Failures(); len(failures) > 0 {
		items := make([]string, len(failures))
		for i, f := range failures {
			items[i] = action.Escape(f)
		}
		s.List(items...)
	}
	for i, st := range res.Steps {
		b, hasBase := loadtest.BaselineFor(res, base, i)
		s.Heading(3, fmt.Sprintf("Step %d: %s", i+1, st.Label()))
		s.Table(stepHeader(hasBase), stepRows(st, b, hasBase))
	}
	if len(res.Steps) > 1 {
		s.Heading(3, "Total")
		s.Table(stepHeader(false), stepRows(res.Total, loadtest.StepResult{}, false))
	}
	s.Paragraph(chart(res, th, base))
	s.Heading(3, "Checks")
	rows := make([][]string, len(res.Verdict.Checks))
	for i, c := range res.Verdict.Checks {
		mark := "✅"
		if !c.Pass {
			mark = "❌"
		}
		rows[i] = []string{mark, action.Escape(c.Step), action.Escape(c.What), action.Escape(c.Got), action.Escape(c.Limit)}
	}
	s.Table([]string{"", "Step", "Check", "Measured", "Limit"}, rows)
	return s
}

func stepHeader(withBase bool) []string {
	if withBase {
		return []string{"Measure", "Value", "Baseline"}
	}
	return []string{"Measure", "Value"}
}

func stepRows(st, base loadtest.StepResult, withBase bool) [][]string {
	row := func(name string, f func(loadtest.StepResult) string) []string {
		r := []string{name, f(st)}
		if withBase {
			r = append(r, f(base))
		}
		return r
	}
	num := func(v float64) string { return fmt.Sprintf("%g", math.Round(v*1000)/1000) }
	return [][]string{
		row("Requests", func(s loadtest.StepResult) string { return fmt.Sprint(s.Requests) }),
		row("Rate (req/s)", func(s loadtest.StepResult) string { return num(s.Rate) }),
		row("Throughput (ok/s)", func(s loadtest.StepResult) string { return num(s.Throughput) }),
		row("Errors", func(s loadtest.StepResult) string { return num(s.ErrorRatio*100) + "%" }),
		row("p50 (ms)", func(s loadtest.StepResult) string { return num(s.Latency.P50) }),
		row("p95 (ms)", func(s loadtest.StepResult) string { return num(s.Latency.P95) }),
		row("p99 (ms)", func(s loadtest.StepResult) string { return num(s.Latency.P99) }),
		row("max (ms)", func(s loadtest.StepResult) string { return num(s.Latency.Max) }),
		row("Status codes", func(s loadtest.StepResult) string { return statusCodes(s.StatusCodes) }),
		row("Distinct errors", func(s loadtest.StepResult) string { return action.Escape(strings.Join(s.Errors, "\n")) }),
	}
}

func statusCodes(codes map[string]int) string {
	keys := make([]string, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, codes[k])
	}
	return strings.Join(parts, ", ")
}

// chart is a Mermaid xychart of p50, p95 and p99 per step, with the p99 threshold and the
// baseline's p99 when there are. Mermaid's xychart has no legend, so the caption names the lines
// in the order they are drawn.
func chart(res *loadtest.Result, th loadtest.Thresholds, base *loadtest.Result) string {
	var labels []string
	series := []struct {
		name   string
		values []float64
	}{{"p50", nil}, {"p95", nil}, {"p99", nil}}
	var limit, baseP99 []float64
	for i, st := range res.Steps {
		labels = append(labels, fmt.Sprintf("%q", st.Label()))
		series[0].values = append(series[0].values, st.Latency.P50)
		series[1].values = append(series[1].values, st.Latency.P95)
		series[2].values = append(series[2].values, st.Latency.P99)
		limit = append(limit, float64(th.P99.Microseconds())/1000)
		if b, ok := loadtest.BaselineFor(res, base, i); ok {
			baseP99 = append(baseP99, b.Latency.P99)
		}
	}
	var b strings.Builder
	b.WriteString("```mermaid\nxychart-beta\n    title \"Latency per step (ms)\"\n")
	fmt.Fprintf(&b, "    x-axis [%s]\n    y-axis \"latency (ms)\"\n", strings.Join(labels, ", "))
	lines := []string{"p50", "p95", "p99"}
	for _, s := range series {
		fmt.Fprintf(&b, "    line [%s]\n", values(s.values))
	}
	if th.P99 > 0 {
		fmt.Fprintf(&b, "    line [%s]\n", values(limit))
		lines = append(lines, "the p99 limit")
	}
	if len(baseP99) == len(res.Steps) && len(baseP99) > 0 {
		fmt.Fprintf(&b, "    line [%s]\n", values(baseP99))
		lines = append(lines, "the baseline's p99")
	}
	b.WriteString("```\n\n")
	fmt.Fprintf(&b, "Lines, in drawing order: %s.", strings.Join(lines, ", "))
	return b.String()
}

func values(vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprintf("%g", v)
	}
	return strings.Join(parts, ", ")
}
