package deployswarm

import (
	"fmt"
	"strings"
	"time"

	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/swarm"
)

// maxTimelineServices bounds the services the timeline draws, which keeps the summary small
// whatever the size of the stack; the timeline says how many it leaves out.
const maxTimelineServices = 30

// timeline adds a Gantt chart of the services the run changed: each from its update to when it
// converged or failed (failed ones in red), and the rollback in a section of its own. Times are
// from the start of the first update, in minutes and seconds.
func timeline(s *action.Summary, r *swarm.Result) {
	var drawn []swarm.ServiceResult
	var origin time.Time
	for _, sv := range r.Services {
		if sv.Update == nil {
			continue
		}
		if origin.IsZero() || sv.Update.Start.Before(origin) {
			origin = sv.Update.Start
		}
		drawn = append(drawn, sv)
	}
	if len(drawn) == 0 {
		return
	}
	s.Heading(4, "Timeline")
	if n := len(drawn) - maxTimelineServices; n > 0 {
		s.Paragraph(fmt.Sprintf("The timeline draws the first %d changed services by name; %d more are in the table above.", maxTimelineServices, n))
		drawn = drawn[:maxTimelineServices]
	}
	at := func(t time.Time) string { return action.GanttTime(origin, t) }
	task := func(body *strings.Builder, id string, sv swarm.ServiceResult, tm *swarm.Timing) {
		label, tag := action.MermaidLabel(sv.Name), ""
		if tm == sv.Rollback && sv.State == swarm.StateRemovedNew {
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
	for i, sv := range drawn {
		task(&body, fmt.Sprintf("u%d", i), sv, sv.Update)
	}
	rollback := false
	for i, sv := range drawn {
		if sv.Rollback == nil {
			continue
		}
		if !rollback {
			body.WriteString("section Rollback\n")
			rollback = true
		}
		task(&body, fmt.Sprintf("r%d", i), sv, sv.Rollback)
	}
	s.Mermaid("gantt", body.String())
}
