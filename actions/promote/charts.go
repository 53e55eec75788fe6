package promote

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/cloudrun"
)

// maxChartSteps bounds the steps a chart draws, which keeps the summary small whatever the
// number of steps; the charts say when they show only the last ones.
const maxChartSteps = 20

// failMark marks the step whose gate failed, in the charts' x-axis.
const failMark = " ✗"

// canaryCharts adds the charts of a canary's steps: the revision's share of the traffic at each
// step (and after a rollback), then each gate metric read at each step against its maximum.
func canaryCharts(s *action.Summary, res *cloudrun.Result) {
	steps := res.Steps
	if len(steps) == 0 {
		return
	}
	s.Heading(3, "Canary charts")
	note := "Bars are what each step measured, lines the maximum the gate allows; " +
		"the step whose gate failed is marked ✗ on the x-axis."
	if len(steps) > maxChartSteps {
		note += fmt.Sprintf(" The charts show the last %d of the %d steps.", maxChartSteps, len(steps))
		steps = steps[len(steps)-maxChartSteps:]
	}
	s.Paragraph(note)

	var labels []string
	var shares []float64
	for _, st := range steps {
		labels = append(labels, stepLabel(st))
		shares = append(shares, float64(st.Percent))
	}
	if res.RolledBack {
		labels = append(labels, "rolled back")
		shares = append(shares, float64(percentOf(res)))
	}
	s.Mermaid("xychart-beta", xyChart("Traffic to "+res.Revision, "traffic (%)", labels, shares, nil, 100))

	gate := res.MetricGate
	if gate == nil {
		return
	}
	labels = nil
	var ratios, p99s []float64
	latency := false
	for _, st := range steps {
		stats := metricStats(st)
		if stats == nil {
			continue
		}
		labels = append(labels, stepLabel(st))
		ratio := 0.0
		if stats.Requests > 0 {
			ratio = 100 * float64(stats.Errors5xx) / float64(stats.Requests)
		}
		ratios = append(ratios, ratio)
		p99s = append(p99s, float64(stats.P99)/float64(time.Millisecond))
		latency = latency || stats.HasLatency
	}
	if len(labels) == 0 {
		return
	}
	limit := 100 * gate.Max5xxRatio
	s.Mermaid("xychart-beta", xyChart(fmt.Sprintf("5xx ratio, maximum %s%%", number(limit)), "5xx (%)", labels, ratios, repeat(limit, len(labels)), 0))
	if latency {
		var line []float64
		title := "p99 latency"
		if gate.MaxP99 > 0 {
			limit := float64(gate.MaxP99) / float64(time.Millisecond)
			line = repeat(limit, len(labels))
			title += ", maximum " + gate.MaxP99.String()
		}
		s.Mermaid("xychart-beta", xyChart(title, "p99 (ms)", labels, p99s, line, 0))
	}
}

// stepLabel names a step on the x-axis by its percent, marked when its gate failed.
func stepLabel(st cloudrun.Step) string {
	label := fmt.Sprintf("%d%%", st.Percent)
	switch {
	case st.Skipped:
		label += " skipped"
	case !st.Passed:
		label += failMark
	}
	return label
}

// metricStats returns the metrics the last gate check of a step read, nil when none.
func metricStats(st cloudrun.Step) *cloudrun.Stats {
	for _, ch := range st.Checks {
		if ch.Name == "metrics" && ch.Stats != nil {
			return ch.Stats
		}
	}
	return nil
}

// percentOf returns the revision's share of the traffic after the run.
func percentOf(res *cloudrun.Result) int32 {
	var p int32
	for _, e := range res.Traffic {
		if e.Revision == res.Revision {
			p += e.Percent
		}
	}
	return p
}

// xyChart returns the body of an xychart-beta: bars of values over labels, a line if given, and
// a y-axis from 0 to top (0: a quarter above the highest value). Titles and labels are made by
// this package (a revision name comes from Cloud Run); quotes and line breaks are dropped all the
// same, as a quoted string cannot hold them.
func xyChart(title, axis string, labels []string, bars, line []float64, top float64) string {
	if top == 0 {
		for _, v := range append(append([]float64{}, bars...), line...) {
			top = max(top, v)
		}
		top = max(top*1.25, 1)
	}
	quote := func(s string) string {
		return `"` + strings.NewReplacer(`"`, "", "\n", " ", "\r", " ").Replace(s) + `"`
	}
	var qs []string
	for _, l := range labels {
		qs = append(qs, quote(l))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "title %s\n", quote(title))
	fmt.Fprintf(&b, "x-axis [%s]\n", strings.Join(qs, ", "))
	fmt.Fprintf(&b, "y-axis %s 0 --> %s\n", quote(axis), number(top))
	fmt.Fprintf(&b, "bar [%s]\n", numbers(bars))
	if len(line) > 0 {
		fmt.Fprintf(&b, "line [%s]\n", numbers(line))
	}
	return b.String()
}

// number prints v with at most two decimals.
func number(v float64) string {
	return strconv.FormatFloat(float64(int64(v*100+0.5))/100, 'f', -1, 64)
}

func numbers(vs []float64) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = number(v)
	}
	return strings.Join(out, ", ")
}

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}
