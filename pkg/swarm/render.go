package swarm

import (
	"encoding/json"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/logging"
)

// ServiceOutput is one entry of the action's `services` output.
type ServiceOutput struct {
	Name     string `json:"name"`
	Image    string `json:"image"`
	Replicas string `json:"replicas"`
	State    string `json:"state"`
}

// ServicesJSON renders the `services` output: a JSON list of name, image (with digest when the
// spec has one), replicas ("running/desired") and state, sorted by name.
func (r *Result) ServicesJSON() (string, error) {
	out := make([]ServiceOutput, 0, len(r.Services))
	for _, s := range r.Services {
		out = append(out, ServiceOutput{Name: s.Name, Image: s.Image, Replicas: s.Replicas(), State: s.State})
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// ChangedJSON renders the `changed` output: a JSON list of the changed service names.
func (r *Result) ChangedJSON() (string, error) {
	changed := r.Changed
	if changed == nil {
		changed = []string{}
	}
	b, err := json.Marshal(changed)
	return string(b), err
}

// DurationSeconds renders the `duration` output, in seconds with one decimal.
func (r *Result) DurationSeconds() string {
	return fmt.Sprintf("%.1f", r.Duration.Seconds())
}

// Markdown renders the step summary: a headline, a table of the services with their image before
// and after and their state, the changes of a dry run, for each failing service its reason,
// task errors and last log lines, and a timeline of the services changed (see writeTimeline).
func (r *Result) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", r.headline())
	b.WriteString("| Service | Before | After | Replicas | Status |\n|---|---|---|---|---|\n")
	for _, s := range r.Services {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n",
			cell(s.Name), code(s.ImageBefore), code(s.Image), s.Replicas(), cell(s.State))
	}
	if r.DryRun {
		r.writeChanges(&b)
	}
	r.writeObjects(&b)
	for _, f := range r.Failures {
		// Reasons and task errors quote what the app printed (a health check's output may be an
		// HTML page): as text, not markup.
		fmt.Fprintf(&b, "\n#### :x: %s\n\n%s\n", f.Service, text(f.Reason))
		if len(f.TaskErrors) > 0 {
			b.WriteString("\nTask errors:\n\n")
			for _, e := range f.TaskErrors {
				fmt.Fprintf(&b, "- %s\n", text(logging.Clip(e, action.MaxLogLine)))
			}
		}
		if len(f.Logs) > 0 {
			// Long lines are clipped: the summary of a step is dropped past 1 MiB.
			logs := make([]string, len(f.Logs))
			for i, l := range f.Logs {
				logs[i] = logging.Clip(l, action.MaxLogLine)
			}
			fence := "```"
			for strings.Contains(strings.Join(logs, "\n"), fence) {
				fence += "`"
			}
			title := f.logsTitle()
			fmt.Fprintf(&b, "\n<details><summary>%s</summary>\n\n%stext\n%s\n%s\n\n</details>\n",
				html.EscapeString(strings.ToUpper(title[:1])+title[1:]), fence, strings.Join(logs, "\n"), fence)
		}
	}
	r.writeTimeline(&b)
	return b.String()
}

func (r *Result) headline() string {
	took := r.Duration.Round(100 * time.Millisecond)
	switch {
	case r.DryRun:
		return fmt.Sprintf("Stack `%s`: dry run, %d service(s) would change", r.Stack, len(r.Changed))
	case r.Failed() && r.RolledBack:
		return fmt.Sprintf(":x: Stack `%s`: deploy failed and was rolled back (%s)", r.Stack, took)
	case r.Failed():
		return fmt.Sprintf(":x: Stack `%s`: deploy failed (%s)", r.Stack, took)
	default:
		return fmt.Sprintf(":white_check_mark: Stack `%s` deployed: %d service(s) changed (%s)", r.Stack, len(r.Changed), took)
	}
}

func (r *Result) writeChanges(b *strings.Builder) {
	any := false
	for _, s := range r.Services {
		if len(s.Changes) == 0 {
			continue
		}
		if !any {
			b.WriteString("\n#### Changes\n\n| Service | Field | Change |\n|---|---|---|\n")
			any = true
		}
		for _, c := range s.Changes {
			fmt.Fprintf(b, "| %s | %s | %s |\n", cell(s.Name), cell(c.Field), changeCell(c))
		}
	}
}

// changeCell renders a change as "`before` → `after`", with "(none)" for a missing value, or
// as its summary when its values are hidden.
func changeCell(c Change) string {
	if c.Summary != "" {
		return cell(c.Summary)
	}
	value := func(s string) string {
		if s == "" {
			return "(none)"
		}
		return code(s)
	}
	return value(c.Before) + " → " + value(c.After)
}

func (r *Result) writeObjects(b *strings.Builder) {
	verb := "Created"
	if r.DryRun {
		verb = "Would create"
	}
	var lines []string
	for _, o := range []struct {
		what  string
		names []string
	}{{"networks", r.Networks}, {"secrets", r.Secrets}, {"configs", r.Configs}} {
		if len(o.names) > 0 {
			lines = append(lines, fmt.Sprintf("- %s %s: %s", verb, o.what, codes(o.names)))
		}
	}
	if len(r.RemovedObjects) > 0 {
		lines = append(lines, "- Removed unused secrets and configs: "+codes(r.RemovedObjects))
	}
	if len(lines) > 0 {
		b.WriteString("\n" + strings.Join(lines, "\n") + "\n")
	}
}

// text escapes s for a Markdown paragraph: no HTML, and one line.
func text(s string) string {
	return strings.ReplaceAll(html.EscapeString(s), "\n", " ")
}

// cell escapes a table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// code renders s as inline code in a table cell, or an empty cell.
func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.ReplaceAll(cell(s), "`", "'") + "`"
}

func codes(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = code(n)
	}
	return strings.Join(out, ", ")
}
