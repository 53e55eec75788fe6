package swarm

import (
	"fmt"

	"github.com/moby/moby/api/types/swarm"
)

// evaluateJob is evaluate for a job service (replicated-job or global-job): it is done when its
// tasks of the current job iteration completed, TotalCompletions times for a replicated job, or
// on every node for a global job. Failed tasks count as in evaluate.
func evaluateJob(t *target, svc *swarm.Service, tasks []swarm.Task, maxFailures int) {
	if t.kind == kindUnchanged {
		t.state, t.done = "job unchanged", true
		return
	}
	var completed, active uint64
	failures := 0
	var lastFailure swarm.Task
	for _, task := range tasks {
		if task.JobIteration != nil && svc.JobStatus != nil && task.JobIteration.Index != svc.JobStatus.JobIteration.Index {
			continue
		}
		switch task.Status.State {
		case swarm.TaskStateComplete:
			completed++
		case swarm.TaskStateFailed, swarm.TaskStateRejected:
			if !task.Status.Timestamp.Before(t.since) {
				failures++
				if task.Status.Timestamp.After(lastFailure.Status.Timestamp) {
					lastFailure = task
				}
			}
		case swarm.TaskStateShutdown, swarm.TaskStateRemove, swarm.TaskStateOrphaned:
		default:
			active++
		}
	}
	want := uint64(1)
	switch {
	case svc.Spec.Mode.ReplicatedJob != nil && svc.Spec.Mode.ReplicatedJob.TotalCompletions != nil:
		want = *svc.Spec.Mode.ReplicatedJob.TotalCompletions
	case svc.Spec.Mode.GlobalJob != nil:
		want = max(completed+active, 1)
	}
	t.running, t.desired = completed, want
	t.state = fmt.Sprintf("job: %d of %d tasks completed", completed, want)
	if failures >= maxFailures {
		t.cause, t.causeText = &lastFailure, taskError(lastFailure)
		t.reason = fmt.Sprintf("%d job tasks failed, the last one: %s", failures, t.causeText)
		return
	}
	t.done = completed >= want && active == 0
}
