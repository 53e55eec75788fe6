package deployswarm

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/logging"
	"github.com/twittix/infra/pkg/swarm"
)

// servicesEntry is one entry of the action's `services` output.
type servicesEntry struct {
	Name     string `json:"name"`
	Image    string `json:"image"`
	Replicas string `json:"replicas"`
	State    string `json:"state"`
}

// servicesJSON renders the `services` output: a JSON list of name, image (with digest when the
// spec has one), replicas ("running/desired") and state, in the order of the result (by name).
func servicesJSON(r *swarm.Result) (string, error) {
	out := make([]servicesEntry, 0, len(r.Services))
	for _, s := range r.Services {
		out = append(out, servicesEntry{Name: s.Name, Image: s.Image, Replicas: s.Replicas(), State: s.State})
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// changedJSON renders the `changed` output: a JSON list of the changed service names.
func changedJSON(r *swarm.Result) (string, error) {
	changed := r.Changed
	if changed == nil {
		changed = []string{}
	}
	b, err := json.Marshal(changed)
	return string(b), err
}

// durationSeconds renders the `duration` output, in seconds with one decimal.
func durationSeconds(r *swarm.Result) string {
	return fmt.Sprintf("%.1f", r.Duration.Seconds())
}

// summary renders the step summary of a result: a headline, a table of the services with their
// image before and after and their state, the changes of a dry run, the objects created and
// removed, for each failing service its reason, task errors and last log lines, and a timeline
// of the services changed (see timeline).
func summary(r *swarm.Result) *action.Summary {
	s := new(action.Summary)
	s.Paragraph("### " + headline(r))
	rows := make([][]string, 0, len(r.Services))
	for _, sv := range r.Services {
		rows = append(rows, []string{action.Escape(sv.Name), action.Code(sv.ImageBefore), action.Code(sv.Image), sv.Replicas(), action.Escape(sv.State)})
	}
	s.Table([]string{"Service", "Before", "After", "Replicas", "Status"}, rows)
	if r.DryRun {
		changes(s, r)
	}
	objects(s, r)
	for _, f := range r.Failures {
		failure(s, f)
	}
	timeline(s, r)
	return s
}

func headline(r *swarm.Result) string {
	took := r.Duration.Round(100 * time.Millisecond)
	stack := action.Code(r.Stack)
	switch {
	case r.DryRun:
		return fmt.Sprintf("Stack %s: dry run, %d service(s) would change", stack, len(r.Changed))
	case r.Failed() && r.RolledBack:
		return fmt.Sprintf(":x: Stack %s: deploy failed and was rolled back (%s)", stack, took)
	case r.Failed():
		return fmt.Sprintf(":x: Stack %s: deploy failed (%s)", stack, took)
	default:
		return fmt.Sprintf(":white_check_mark: Stack %s deployed: %d service(s) changed (%s)", stack, len(r.Changed), took)
	}
}

// changes adds the table of the changes a dry run found, if any.
func changes(s *action.Summary, r *swarm.Result) {
	var rows [][]string
	for _, sv := range r.Services {
		for _, c := range sv.Changes {
			rows = append(rows, []string{action.Escape(sv.Name), action.Escape(c.Field), changeCell(c)})
		}
	}
	if len(rows) > 0 {
		s.Heading(4, "Changes")
		s.Table([]string{"Service", "Field", "Change"}, rows)
	}
}

// changeCell renders a change as "`before` → `after`", with "(none)" for a missing value, or
// as its summary when its values are hidden.
func changeCell(c swarm.Change) string {
	if c.Summary != "" {
		return action.Escape(c.Summary)
	}
	value := func(v string) string {
		if v == "" {
			return "(none)"
		}
		return action.Code(v)
	}
	return value(c.Before) + " → " + value(c.After)
}

// objects adds the list of the networks, secrets and configs created (or that would be) and of
// the secrets and configs removed, if any.
func objects(s *action.Summary, r *swarm.Result) {
	verb := "Created"
	if r.DryRun {
		verb = "Would create"
	}
	var items []string
	for _, o := range []struct {
		what  string
		names []string
	}{{"networks", r.Networks}, {"secrets", r.Secrets}, {"configs", r.Configs}} {
		if len(o.names) > 0 {
			items = append(items, fmt.Sprintf("%s %s: %s", verb, o.what, codes(o.names)))
		}
	}
	if len(r.RemovedObjects) > 0 {
		items = append(items, "Removed unused secrets and configs: "+codes(r.RemovedObjects))
	}
	if len(items) > 0 {
		s.List(items...)
	}
}

// failure adds why a service failed: its reason, task errors and last log lines. Reasons and
// task errors quote what the app printed (a health check's output may be an HTML page): they are
// escaped as text, on one line.
func failure(s *action.Summary, f swarm.ServiceFailure) {
	s.Heading(4, ":x: "+f.Service)
	s.Paragraph(oneLine(f.Reason))
	if len(f.TaskErrors) > 0 {
		s.Paragraph("Task errors:")
		items := make([]string, len(f.TaskErrors))
		for i, e := range f.TaskErrors {
			// Long lines are clipped: the summary of a step is dropped past 1 MiB.
			items[i] = oneLine(logging.Clip(e, action.MaxLogLine))
		}
		s.List(items...)
	}
	if len(f.Logs) > 0 {
		title := f.LogsTitle()
		s.Details(strings.ToUpper(title[:1])+title[1:], strings.Join(f.Logs, "\n"))
	}
}

// oneLine escapes text to show literally, on one line.
func oneLine(text string) string {
	return action.Escape(strings.ReplaceAll(text, "\n", " "))
}

func codes(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = action.Code(n)
	}
	return strings.Join(out, ", ")
}
