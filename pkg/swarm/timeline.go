package swarm

import (
	"fmt"
	"strings"
	"time"

	"github.com/twittix/infra/pkg/action"
)

// maxTimelineServices bounds the services the timeline draws, which keeps the summary small
// whatever the size of the stack; the timeline says how many it leaves out.
const maxTimelineServices = 30

// writeTimeline adds a Gantt chart of the services the run changed: each from its update to
// when it converged or failed (failed ones in red), and the rollback in a section of its own.
// Times are from the start of the first update, in minutes and seconds.
func (r *Result) writeTimeline(b *strings.Builder) {
	var drawn []ServiceResult
	var origin time.Time
	for _, s := range r.Services {
		if s.Update == nil {
			continue
		}
		if origin.IsZero() || s.Update.Start.Before(origin) {
			origin = s.Update.Start
		}
		drawn = append(drawn, s)
	}
	if len(drawn) == 0 {
		return
	}
	b.WriteString("\n#### Timeline\n\n")
	if n := len(drawn) - maxTimelineServices; n > 0 {
		fmt.Fprintf(b, "The timeline draws the first %d changed services by name; %d more are in the table above.\n\n", maxTimelineServices, n)
		drawn = drawn[:maxTimelineServices]
	}
	at := func(t time.Time) string { return action.GanttTime(origin, t) }
	task := func(body *strings.Builder, id string, s ServiceResult, tm *Timing) {
		label, tag := action.MermaidLabel(s.Name), ""
		if tm == s.Rollback && s.State == StateRemovedNew {
			label += " removed"
		}
		switch {
		case tm.Failed:
			label, tag = label+" failed", "crit, "
		case !tm.Converged:
			label, tag = label+" not finished", "active, "
		}
		end := tm.End
		if end.Before(tm.Start) {
			end = tm.Start
		}
		fmt.Fprintf(body, "%s :%s%s, %s, %s\n", label, tag, id, at(tm.Start), at(end))
	}
	var body strings.Builder
	body.WriteString(action.GanttHeader + "section Deploy\n")
	for i, s := range drawn {
		task(&body, fmt.Sprintf("u%d", i), s, s.Update)
	}
	rollback := false
	for i, s := range drawn {
		if s.Rollback == nil {
			continue
		}
		if !rollback {
			body.WriteString("section Rollback\n")
			rollback = true
		}
		task(&body, fmt.Sprintf("r%d", i), s, s.Rollback)
	}
	b.WriteString(action.MermaidBlock("gantt", body.String()))
}
