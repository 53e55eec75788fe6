package swarm

import (
	"fmt"
	"time"

	"github.com/moby/moby/api/types/swarm"
)

// evaluate updates t from the service and its up-to-date tasks, as seen at now (swarm clock):
// it sets t.done when the service converged, or t.reason when it failed.
func evaluate(t *target, svc *swarm.Service, tasks []swarm.Task, maxFailures int, now time.Time) {
	if svc == nil {
		t.reason = "the service disappeared while the deploy waited for it"
		return
	}
	t.service = svc
	if svc.JobStatus != nil {
		evaluateJob(t, svc, tasks, maxFailures)
		return
	}
	n := countTasks(tasks, t.since)
	t.desired, t.running = desiredTasks(svc), n.running
	if n.lastErr != nil && (t.lastErr == nil || !n.lastErr.Status.Timestamp.Before(t.lastErr.Status.Timestamp)) {
		t.lastErr = n.lastErr
	}
	us := t.describeState(svc, n.held)
	if t.updateFailed(us) {
		return
	}
	if t.awaitsGlobalTasks(svc) {
		return
	}
	if n.failures >= maxFailures {
		t.cause, t.causeText = n.lastFailure, taskError(*n.lastFailure)
		t.reason = fmt.Sprintf("%d tasks failed since the deploy started, the last one: %s", n.failures, t.causeText)
		return
	}
	t.converge(svc, us, n.runningSince, now)
}

// taskCount is what the up-to-date tasks of a service say.
type taskCount struct {
	running      uint64
	runningSince time.Time   // when the latest running task started, on the swarm's clock
	held         string      // why a task that should run is held back ("pending: no suitable node ...")
	failures     int         // tasks that failed or stopped since the run started
	lastFailure  *swarm.Task // the latest of them
	lastErr      *swarm.Task // the latest task in error since the run started, stuck ones included
}

func countTasks(tasks []swarm.Task, since time.Time) taskCount {
	var n taskCount
	for _, task := range tasks {
		st := task.Status
		if task.DesiredState == swarm.TaskStateRunning && st.State == swarm.TaskStateRunning {
			n.running++
			if st.Timestamp.After(n.runningSince) {
				n.runningSince = st.Timestamp
			}
		}
		if task.DesiredState == swarm.TaskStateRunning && beforeRunning(st.State) && st.Err != "" {
			n.held = fmt.Sprintf("%s: %s", st.State, st.Err)
		}
		if st.Timestamp.Before(since) {
			continue
		}
		if taskError(task) != "" && (n.lastErr == nil || !st.Timestamp.Before(n.lastErr.Status.Timestamp)) {
			n.lastErr = &task
		}
		switch st.State {
		case swarm.TaskStateFailed, swarm.TaskStateRejected, swarm.TaskStateComplete:
			n.failures++
			if n.lastFailure == nil || st.Timestamp.After(n.lastFailure.Status.Timestamp) {
				n.lastFailure = &task
			}
		}
	}
	return n
}

// describeState sets t.state for the progress line and returns the update status that concerns
// this run: none for a service it did not touch, whose old update status says nothing of it.
func (t *target) describeState(svc *swarm.Service, held string) *swarm.UpdateStatus {
	us := svc.UpdateStatus
	switch {
	case t.kind == kindUnchanged:
		us, t.state = nil, "unchanged"
	case us != nil && us.State != "":
		t.state = "update " + string(us.State)
	case t.running < t.desired:
		t.state = "starting tasks"
	default:
		t.state = "no update in progress"
	}
	if held != "" {
		t.state += ", " + held
	}
	return us
}

// awaitsGlobalTasks reports whether a global service the run created or changed has no task to
// run yet: right after the change the orchestrator may not have counted the nodes, and 0 of 0
// is not converged. Like docker's own progress, the wait holds until tasks exist (or times out,
// when no node meets the service's constraints). A service the run left alone is not held.
func (t *target) awaitsGlobalTasks(svc *swarm.Service) bool {
	if svc.Spec.Mode.Global == nil || t.kind == kindUnchanged || t.desired > 0 {
		return false
	}
	t.state = "waiting for the orchestrator to create tasks"
	return true
}

// updateFailed sets t.reason when the update (or the rollback t waits for) paused, or when Swarm
// rolled the update back by itself.
func (t *target) updateFailed(us *swarm.UpdateStatus) bool {
	if us == nil {
		return false
	}
	msg := ""
	if us.Message != "" {
		msg = ": " + us.Message
	}
	switch us.State {
	case swarm.UpdateStatePaused:
		if t.kind == kindRollback {
			t.reason = "the rollback paused" + msg
		} else {
			t.reason = "the update paused" + msg
		}
	case swarm.UpdateStateRollbackPaused:
		t.reason = "the rollback paused" + msg
	case swarm.UpdateStateRollbackStarted, swarm.UpdateStateRollbackCompleted:
		if t.kind != kindRollback {
			t.reason = "Swarm rolled the update back" + msg
		}
	}
	return t.reason != ""
}

// converge sets t.done when the tasks run in the desired number and the update completed, and a
// created service kept them running for stableFor; otherwise t.expectAt when it should be done.
func (t *target) converge(svc *swarm.Service, us *swarm.UpdateStatus, runningSince, now time.Time) {
	t.expectAt = time.Time{}
	converged := t.running >= t.desired
	if us != nil {
		switch us.State {
		case swarm.UpdateStateCompleted, swarm.UpdateStateRollbackCompleted:
		default:
			if converged {
				// Swarm completes the update one monitor period after the last task started.
				t.expectAt = runningSince.Add(updateMonitor(svc, us.State))
			}
			converged = false
		}
	}
	if !converged {
		return
	}
	// A new service must keep its tasks running for stableFor, counted from the moment its last
	// task started (as Swarm recorded it), not from when a poll happened to see it.
	if t.kind != kindCreated || t.stableFor <= 0 || now.Sub(runningSince) >= t.stableFor {
		t.done = true
		return
	}
	t.expectAt = runningSince.Add(t.stableFor)
	t.state = "verifying tasks are stable"
}

// beforeRunning reports whether a task in state s has yet to start running.
func beforeRunning(s swarm.TaskState) bool {
	switch s {
	case swarm.TaskStateNew, swarm.TaskStateAllocated, swarm.TaskStatePending, swarm.TaskStateAssigned,
		swarm.TaskStateAccepted, swarm.TaskStatePreparing, swarm.TaskStateReady, swarm.TaskStateStarting:
		return true
	}
	return false
}

// defaultMonitor is the monitor period Swarm uses when a service sets none; docker's wait also
// watches a new service's tasks that long.
const defaultMonitor = 5 * time.Second

// updateMonitor is the monitor period of the update (or rollback) in progress.
func updateMonitor(svc *swarm.Service, state swarm.UpdateState) time.Duration {
	if state == swarm.UpdateStateRollbackStarted {
		return monitorOf(svc.Spec.RollbackConfig)
	}
	return monitorOf(svc.Spec.UpdateConfig)
}

// monitorOf is the monitor period of an update or rollback config: how long Swarm watches new
// tasks before it calls an update completed, and how long a new service's tasks must keep running.
func monitorOf(uc *swarm.UpdateConfig) time.Duration {
	if uc != nil && uc.Monitor > 0 {
		return uc.Monitor
	}
	return defaultMonitor
}

// desiredTasks is the number of tasks the service should run.
func desiredTasks(svc *swarm.Service) uint64 {
	if svc.ServiceStatus != nil {
		return svc.ServiceStatus.DesiredTasks
	}
	if r := svc.Spec.Mode.Replicated; r != nil {
		if r.Replicas != nil {
			return *r.Replicas
		}
		return 1
	}
	return 0
}

// taskError describes why a task failed, stopped on its own or is stuck, or "" when nothing is
// wrong with it.
func taskError(task swarm.Task) string {
	st := task.Status
	exit := ""
	if cs := st.ContainerStatus; cs != nil && (st.State == swarm.TaskStateFailed || st.State == swarm.TaskStateComplete) {
		exit = fmt.Sprintf(" (exit code %d)", cs.ExitCode)
	}
	switch {
	case st.Err != "":
		return fmt.Sprintf("%s%s: %s", st.State, exit, st.Err)
	case st.State == swarm.TaskStateFailed || st.State == swarm.TaskStateRejected:
		return fmt.Sprintf("%s%s: %s", st.State, exit, st.Message)
	case st.State == swarm.TaskStateComplete:
		return fmt.Sprintf("stopped%s although the service should keep running: %s", exit, st.Message)
	}
	return ""
}
