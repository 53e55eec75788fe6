package promote

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/cloudrun"
	"github.com/twittix/infra/pkg/cloudrun/traffic"
)

// summary renders the step summary of a result: what was done, the traffic before and after, and
// the gate results of each canary step, then the canary's charts (see canaryCharts). Free text (errors, check details) goes through redact
// before it is escaped: escaping would otherwise hide a secret from the summary's own redaction.
func summary(mode, service string, totalSteps int, res *cloudrun.Result, runErr error, redact func(string) string) *action.Summary {
	s := &action.Summary{}
	s.Heading(2, fmt.Sprintf("promote %s: %s", mode, service))
	var facts []string
	if res.Revision != "" {
		facts = append(facts, "Revision: "+action.Code(res.Revision))
	}
	if res.TagURL != "" {
		facts = append(facts, fmt.Sprintf("Tag %s: %s", action.Code(res.Tag), action.Link(res.TagURL, res.TagURL)))
	}
	if res.URL != "" {
		facts = append(facts, "Service URL: "+action.Link(res.URL, res.URL))
	}
	switch {
	case runErr != nil && res.RolledBack:
		facts = append(facts, "**Failed and rolled back**: "+action.Escape(redact(runErr.Error())))
	case runErr != nil:
		facts = append(facts, "**Failed**: "+action.Escape(redact(runErr.Error())))
	case !res.Changed:
		facts = append(facts, "Nothing to change: the service was already as asked.")
	}
	s.List(facts...)
	if len(res.PreviousTraffic)+len(res.Traffic) > 0 {
		s.Heading(3, "Traffic")
		s.Table([]string{"Revision", "Tags", "Before", "After"}, trafficRows(res.PreviousTraffic, res.Traffic))
	}
	if len(res.Steps) > 0 {
		s.Heading(3, "Canary steps")
		s.Table([]string{"Step", "Traffic", "Bake", "Result", "Gate"}, stepRows(res.Steps, totalSteps, redact))
	}
	canaryCharts(s, res)
	return s
}

// trafficRows merges two splits by revision: one row per revision, with its tags and percents.
func trafficRows(before, after []traffic.Entry) [][]string {
	type row struct {
		tags          []string
		before, after int32
		latest        bool
	}
	rows := map[string]*row{}
	var order []string
	get := func(rev string) *row {
		if r, ok := rows[rev]; ok {
			return r
		}
		rows[rev] = &row{}
		order = append(order, rev)
		return rows[rev]
	}
	for _, e := range before {
		get(e.Revision).before += e.Percent
	}
	for _, e := range after {
		r := get(e.Revision)
		r.after += e.Percent
		r.latest = r.latest || e.Latest
		if e.Tag != "" && !slices.Contains(r.tags, e.Tag) {
			r.tags = append(r.tags, e.Tag)
		}
	}
	var out [][]string
	for _, rev := range order {
		r := rows[rev]
		name := action.Code(rev)
		if r.latest {
			name += " (LATEST)"
		}
		var tags []string
		for _, t := range r.tags {
			tags = append(tags, action.Code(t))
		}
		out = append(out, []string{name, strings.Join(tags, ", "), fmt.Sprintf("%d%%", r.before), fmt.Sprintf("%d%%", r.after)})
	}
	return out
}

func stepRows(steps []cloudrun.Step, total int, redact func(string) string) [][]string {
	var out [][]string
	for i, st := range steps {
		result := "passed"
		switch {
		case st.Skipped:
			result = "skipped (already reached)"
		case !st.Passed:
			result = "**failed**"
		}
		var gate []string
		for _, ch := range st.Checks {
			mark := "✅"
			switch {
			case !ch.Passed:
				mark = "❌"
			case ch.Inconclusive:
				mark = "⚠️"
			}
			gate = append(gate, fmt.Sprintf("%s %s: %s", mark, ch.Name, action.Escape(redact(ch.Detail))))
		}
		if st.Evaluations > 1 {
			gate = append(gate, fmt.Sprintf("(checked %d times)", st.Evaluations))
		}
		out = append(out, []string{
			fmt.Sprintf("%d/%d", i+1, max(total, len(steps))),
			fmt.Sprintf("%d%%", st.Percent),
			fmt.Sprintf("%s of %s", st.Elapsed.Round(time.Second), st.Bake),
			result,
			strings.Join(gate, "\n"),
		})
	}
	return out
}
