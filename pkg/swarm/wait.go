package swarm

import (
	"context"
	"fmt"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/twittix/infra/pkg/logging"
)

// targetKind says what the run did to a service, which decides when it is done.
type targetKind int

const (
	kindUnchanged targetKind = iota // left alone: done once its tasks run
	kindCreated                     // created: its tasks must run, and keep running for stableFor
	kindUpdated                     // updated: its tasks at the new spec run and the update completed
	kindRollback                    // being rolled back: the rollback completed and its tasks run
)

// target is a service being waited for.
type target struct {
	id, name  string
	kind      targetKind
	since     time.Time     // on the swarm's clock: failures before this are not this run's
	stableFor time.Duration // kindCreated: how long the tasks must keep running

	// want is the container spec of the tasks this run expects: the failing tasks, when it fails,
	// are the ones made from it.
	want *swarm.ContainerSpec

	done    bool
	running uint64
	desired uint64
	state   string
	reason  string // why it failed
	// cause is the task that explains the failure, when one does; causeText is what reason says
	// of it, which diagnose may replace with a better description (unhealthy: ...).
	cause     *swarm.Task
	causeText string
	lastErr   *swarm.Task // the latest task in error since the run started
	service   *swarm.Service
	// expectAt is when, on the swarm's clock, the service should be done if nothing fails.
	expectAt time.Time
}

// swarmClock maps local time to the manager's clock, so that task timestamps (set by the
// manager) compare with the run's start even when the runner's clock is off.
type swarmClock struct {
	local  time.Time
	remote time.Time
}

func (c swarmClock) now() time.Time { return c.remote.Add(time.Since(c.local)) }

// waiter polls the stack's services and tasks: two Engine API calls per poll, whatever the number
// of services.
type waiter struct {
	c        Client
	stack    string
	opts     Options
	clock    swarmClock
	progress *logging.Progress
	// withStatus asks the daemon to count tasks per service, needed only for global services:
	// replicated ones take their desired count from their spec, which spares the daemon a task
	// listing per poll.
	withStatus bool
}

const (
	// maxPollErrors is the number of consecutive failed polls after which the wait gives up.
	maxPollErrors = 5
	// pollTimeout bounds one poll, so that a connection that stopped answering counts as a failed
	// poll instead of holding the wait forever.
	pollTimeout = 30 * time.Second
)

// wait polls until every target is done, one fails (in a deploy) or the timeout. It returns the
// targets that failed, or the context's error.
func (w *waiter) wait(ctx context.Context, targets []*target, timeout time.Duration) ([]*target, error) {
	deadline := time.Now().Add(timeout)
	timer := time.NewTimer(w.opts.PollInterval)
	defer timer.Stop()
	pollErrors := 0
	for {
		delay := w.opts.PollInterval
		// A poll ends by the wait's deadline at the latest: the timeout holds even when the daemon
		// stops answering.
		pctx, cancel := context.WithTimeout(ctx, min(time.Until(deadline), pollTimeout))
		services, tasks, err := w.poll(pctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			pollErrors++
			if pollErrors >= maxPollErrors {
				return nil, fmt.Errorf("failed to watch the services of stack %s: %w", w.stack, err)
			}
		default:
			pollErrors = 0
			if failed, finished := w.observe(targets, services, tasks); finished {
				return failed, nil
			}
			delay = nextPoll(targets, w.clock.now(), w.opts.PollInterval)
		}
		if time.Now().After(deadline) {
			var failed []*target
			for _, t := range targets {
				if !t.done {
					t.reason = fmt.Sprintf("timed out after %s: %d/%d tasks running, %s", timeout, t.running, t.desired, t.state)
					if t.lastErr != nil {
						t.cause, t.causeText = t.lastErr, taskError(*t.lastErr)
						t.reason += " (" + t.causeText + ")"
					}
					failed = append(failed, t)
				}
			}
			return failed, nil
		}
		timer.Reset(delay)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timer.C:
		}
	}
}

// poll lists the stack's services and their up-to-date tasks.
func (w *waiter) poll(ctx context.Context) (map[string]*swarm.Service, map[string][]swarm.Task, error) {
	filter := stackFilter(w.stack)
	svcs, err := w.c.ServiceList(ctx, client.ServiceListOptions{Filters: filter, Status: w.withStatus})
	if err != nil {
		return nil, nil, err
	}
	tl, err := w.c.TaskList(ctx, client.TaskListOptions{Filters: filter.Clone().Add("_up-to-date", "true")})
	if err != nil {
		return nil, nil, err
	}
	services := make(map[string]*swarm.Service, len(svcs.Items))
	for i := range svcs.Items {
		services[svcs.Items[i].ID] = &svcs.Items[i]
	}
	tasks := map[string][]swarm.Task{}
	for _, t := range tl.Items {
		tasks[t.ServiceID] = append(tasks[t.ServiceID], t)
	}
	return services, tasks, nil
}

// observe evaluates every pending target and prints its progress. finished is true when all are
// done, or when some failed.
func (w *waiter) observe(targets []*target, services map[string]*swarm.Service, tasks map[string][]swarm.Task) (failed []*target, finished bool) {
	now := w.clock.now()
	pending := 0
	for _, t := range targets {
		if t.done {
			continue
		}
		evaluate(t, services[t.id], tasks[t.id], w.opts.MaxTaskFailures, now)
		w.progress.Report(t.name, "%s: %d/%d running, %s", t.name, t.running, t.desired, t.state)
		switch {
		case t.reason != "":
			failed = append(failed, t)
		case !t.done:
			pending++
		}
	}
	return failed, len(failed) > 0 || pending == 0
}

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
	t.desired = desiredTasks(svc)
	t.running = 0
	failures := 0
	var (
		lastFailure  swarm.Task
		runningSince time.Time // when the latest running task started, on the swarm's clock
		held         string    // why a task that should run is held back ("pending: no suitable node ...")
	)
	for _, task := range tasks {
		if task.DesiredState == swarm.TaskStateRunning && task.Status.State == swarm.TaskStateRunning {
			t.running++
			if task.Status.Timestamp.After(runningSince) {
				runningSince = task.Status.Timestamp
			}
		}
		if task.DesiredState == swarm.TaskStateRunning && beforeRunning(task.Status.State) && task.Status.Err != "" {
			held = fmt.Sprintf("%s: %s", task.Status.State, task.Status.Err)
		}
		if taskError(task) != "" && !task.Status.Timestamp.Before(t.since) &&
			(t.lastErr == nil || !task.Status.Timestamp.Before(t.lastErr.Status.Timestamp)) {
			t.lastErr = &task
		}
		switch task.Status.State {
		case swarm.TaskStateFailed, swarm.TaskStateRejected, swarm.TaskStateComplete:
			if !task.Status.Timestamp.Before(t.since) {
				failures++
				if task.Status.Timestamp.After(lastFailure.Status.Timestamp) {
					lastFailure = task
				}
			}
		}
	}

	us := svc.UpdateStatus
	t.state = "no update in progress"
	if us != nil && us.State != "" {
		t.state = "update " + string(us.State)
	} else if t.running < t.desired {
		t.state = "starting tasks"
	}
	if t.kind == kindUnchanged {
		// A service this run did not touch: its old update status says nothing about this run.
		us = nil
		t.state = "unchanged"
	}
	if held != "" {
		t.state += ", " + held
	}

	msg := func() string {
		if us != nil && us.Message != "" {
			return ": " + us.Message
		}
		return ""
	}
	if us != nil {
		switch us.State {
		case swarm.UpdateStatePaused:
			if t.kind == kindRollback {
				t.reason = "the rollback paused" + msg()
			} else {
				t.reason = "the update paused" + msg()
			}
			return
		case swarm.UpdateStateRollbackPaused:
			t.reason = "the rollback paused" + msg()
			return
		case swarm.UpdateStateRollbackStarted, swarm.UpdateStateRollbackCompleted:
			if t.kind != kindRollback {
				t.reason = "Swarm rolled the update back" + msg()
				return
			}
		}
	}
	if failures >= maxFailures {
		t.cause, t.causeText = &lastFailure, taskError(lastFailure)
		t.reason = fmt.Sprintf("%d tasks failed since the deploy started, the last one: %s", failures, t.causeText)
		if t.kind == kindRollback {
			t.reason = "the rollback did not converge: " + t.reason
		}
		return
	}

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

// minPoll bounds how close together two polls can be when a service is about to be done.
const minPoll = 50 * time.Millisecond

// nextPoll is the delay before the next poll: the poll interval, or less when a service should
// be done sooner (its update monitor or stability period ends), so that the end of the wait is
// seen at once rather than up to a poll interval late.
func nextPoll(targets []*target, now time.Time, interval time.Duration) time.Duration {
	delay := interval
	for _, t := range targets {
		if t.done || t.expectAt.IsZero() {
			continue
		}
		d := t.expectAt.Sub(now) + 5*time.Millisecond
		if d < -interval {
			continue // late already: Swarm takes its time, poll at the normal pace
		}
		delay = min(delay, max(d, minPoll))
	}
	return delay
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
