package cloudbuild

import (
	"fmt"
	"strings"
	"time"

	"github.com/twittix/infra/pkg/action"
	cb "github.com/twittix/infra/pkg/cloudbuild"
)

// maxTimelineSteps bounds the steps the timeline draws (a build has at most 300), which keeps
// the summary small; the timeline says how many it leaves out.
const maxTimelineSteps = 50

// timeline adds a Gantt chart of the build's steps that ran, each from its start to its end with
// its duration, failed ones in red. Times are from the start of the build, in minutes and seconds.
func timeline(s *action.Summary, res *cb.Result) {
	var ran []cb.Step
	origin := res.Started
	for _, st := range res.Steps {
		if st.Started.IsZero() {
			continue
		}
		if origin.IsZero() || st.Started.Before(origin) {
			origin = st.Started
		}
		ran = append(ran, st)
	}
	if len(ran) == 0 {
		return
	}
	s.Heading(4, "Timeline")
	var notes []string
	if n := len(res.Steps) - len(ran); n > 0 {
		notes = append(notes, fmt.Sprintf("%d of the %d steps did not run.", n, len(res.Steps)))
	}
	if n := len(ran) - maxTimelineSteps; n > 0 {
		notes = append(notes, fmt.Sprintf("The timeline draws the first %d steps that ran; %d more are in the table above.", maxTimelineSteps, n))
		ran = ran[:maxTimelineSteps]
	}
	if len(notes) > 0 {
		s.Paragraph(strings.Join(notes, " "))
	}
	at := func(t time.Time) string { return action.GanttTime(origin, t) }
	var body strings.Builder
	body.WriteString(action.GanttHeader + "section Steps\n")
	for i, st := range ran {
		name := st.ID
		if name == "" {
			name = st.Name
		}
		// The name is the user's, escaped; what follows it is a status and a duration, made of
		// letters, digits, dots, underscores and spaces only.
		label, tag := action.MermaidLabel(name), ""
		took := st.Duration.Round(100 * time.Millisecond)
		switch st.Status {
		case "SUCCESS":
			label += fmt.Sprintf(" %s", took)
		case "FAILURE", "TIMEOUT", "INTERNAL_ERROR":
			label += fmt.Sprintf(" %s after %s", strings.ToLower(st.Status), took)
			tag = "crit, "
		default:
			label += " " + action.MermaidLabel(strings.ToLower(st.Status))
			tag = "active, "
		}
		fmt.Fprintf(&body, "%s :%ss%d, %s, %s\n", label, tag, i, at(st.Started), at(st.Started.Add(max(st.Duration, 0))))
	}
	s.Mermaid("gantt", body.String())
}
