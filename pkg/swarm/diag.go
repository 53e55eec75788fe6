package swarm

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

const maxTaskErrors = 5

// diagnoseAll diagnoses the failed targets at once, so that many failing services do not add up
// their log reads; the failures come back in the order of failed.
func (r *run) diagnoseAll(ctx context.Context, failed []*target) []ServiceFailure {
	out := make([]ServiceFailure, len(failed))
	_ = parallel(ctx, len(failed), maxParallel, func(ctx context.Context, i int) error {
		out[i] = r.diagnose(ctx, failed[i])
		return nil
	})
	for i, t := range failed {
		if out[i].Service == "" { // not diagnosed: ctx was cancelled
			out[i] = ServiceFailure{Service: t.name, Reason: t.reason}
		}
	}
	return out
}

// diagnose gathers what explains a failing service: the errors of its latest tasks, newest
// first, and the last lines that its failing tasks logged. Where the reason cites a task, it is
// described as well as can be (an unhealthy container says so, with its health check output).
func (r *run) diagnose(ctx context.Context, t *target) ServiceFailure {
	f := ServiceFailure{Service: t.name, Reason: t.reason}
	if t.id == "" {
		return f // never reached the swarm
	}
	res, err := r.c.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).Add("service", t.id)})
	if err != nil {
		f.TaskErrors = append(f.TaskErrors, fmt.Sprintf("(could not list its tasks: %v)", err))
	}
	tasks := res.Items
	failing := failingTasks(tasks, t)
	describer := &taskDescriber{c: r.c, node: r.node}
	f.TaskErrors = append(f.TaskErrors, taskErrors(ctx, describer, tasks, t.since)...)
	f.Reason = explain(ctx, describer, t, tasks, failing)

	tty := t.service != nil && t.service.Spec.TaskTemplate.ContainerSpec != nil && t.service.Spec.TaskTemplate.ContainerSpec.TTY
	logs, note, err := failureLogs(ctx, r.c, t.id, failing, r.opts.LogTail, tty)
	if err != nil {
		logs = append(logs, fmt.Sprintf("(could not read its logs: %v)", err))
	}
	f.Logs, f.LogsNote = logs, note
	return f
}

// taskErrors describes the failed or stuck tasks updated since the deploy started, newest first.
func taskErrors(ctx context.Context, describer *taskDescriber, tasks []swarm.Task, since time.Time) []string {
	tasks = slices.Clone(tasks)
	slices.SortFunc(tasks, func(a, b swarm.Task) int { return b.Status.Timestamp.Compare(a.Status.Timestamp) })
	var out []string
	for _, task := range tasks {
		if task.Status.Timestamp.Before(since) {
			continue
		}
		msg := describer.describe(ctx, task)
		if msg == "" {
			continue
		}
		out = append(out, fmt.Sprintf("task %s (slot %d, image %s) %s", shortID(task.ID), task.Slot, taskImage(task), msg))
		if len(out) == maxTaskErrors {
			break
		}
	}
	return out
}

// taskInMessageRE finds the task Swarm names in an update status ("update paused due to failure
// or early termination of task 8h5g36wt04fz0loa5bhj4mu2i").
var taskInMessageRE = regexp.MustCompile(`\btask ([a-z0-9]{25})\b`)

// explain returns t's reason with the task behind it described as well as can be: the task the
// reason cites, else the one Swarm's update status names, else the latest failing task in error.
func explain(ctx context.Context, describer *taskDescriber, t *target, tasks, failing []swarm.Task) string {
	cause, said := t.cause, t.causeText
	if cause == nil && t.service != nil && t.service.UpdateStatus != nil {
		if m := taskInMessageRE.FindStringSubmatch(t.service.UpdateStatus.Message); m != nil {
			if i := slices.IndexFunc(tasks, func(task swarm.Task) bool { return task.ID == m[1] }); i >= 0 {
				cause = &tasks[i]
			}
		}
	}
	if cause == nil {
		for i := len(failing) - 1; i >= 0; i-- {
			if taskError(failing[i]) != "" {
				cause = &failing[i]
				break
			}
		}
	}
	if cause == nil {
		return t.reason
	}
	desc := describer.describe(ctx, *cause)
	switch {
	case desc == "" || desc == said:
		return t.reason
	case said != "" && strings.Contains(t.reason, said):
		return strings.Replace(t.reason, said, desc, 1)
	default:
		return t.reason + ": " + desc
	}
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func taskImage(task swarm.Task) string {
	if cs := task.Spec.ContainerSpec; cs != nil {
		return cs.Image
	}
	return "?"
}

// logLines are the lines that show f in the log: its task errors and its last log lines. They
// quote the swarm and the app, so they are printed as remote text (logging.Remote).
func (f ServiceFailure) logLines() []string {
	var out []string
	for _, e := range f.TaskErrors {
		out = append(out, "  "+e)
	}
	if len(f.Logs) > 0 {
		out = append(out, "  "+f.LogsTitle()+":")
		for _, l := range f.Logs {
			out = append(out, "  | "+l)
		}
	}
	return out
}
