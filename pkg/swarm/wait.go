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
	// started is when the run changed the service; ended when the wait saw it done or failed, or
	// stopped waiting for it (both on the swarm's clock).
	started, ended time.Time
}

// timing returns when the change of t started and ended, nil when the run did not change it.
func (t *target) timing() *Timing {
	if t == nil || t.started.IsZero() {
		return nil
	}
	return &Timing{Start: t.started, End: t.ended, Converged: t.done, Failed: t.reason != ""}
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
	defer func() {
		// Whatever ends the wait ends the timing of the targets it did not see finish.
		now := w.clock.now()
		for _, t := range targets {
			if t.ended.IsZero() {
				t.ended = now
			}
		}
	}()
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
		if t.done || t.reason != "" {
			t.ended = now
		}
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

// waitAll waits for every service the run reached at once. When a change could not be applied,
// the services whose change failed count as failed without waiting.
func (r *run) waitAll(ctx context.Context, p *plan, outcomes []*outcome) ([]*target, error) {
	var failed, targets []*target
	for _, o := range outcomes {
		switch {
		case o.err != nil:
			failed = append(failed, &target{name: o.name, reason: o.err.Error(), since: r.clock.now()})
		case o.target != nil:
			targets = append(targets, o.target)
		}
	}
	if len(failed) > 0 {
		return failed, nil
	}
	end := r.log.Group(fmt.Sprintf("Waiting for %d services of stack %s (timeout %s)", len(targets), r.opts.Stack, r.opts.Timeout))
	defer end()
	failed, err := r.newWaiter(p).wait(ctx, targets, r.opts.Timeout)
	if err == nil && len(failed) == 0 {
		r.log.Infof("All %d services of stack %s converged", len(targets), r.opts.Stack)
	}
	return failed, err
}

// newWaiter returns a waiter for the services of p; it counts tasks per service when one of them
// is or was global.
func (r *run) newWaiter(p *plan) *waiter {
	w := &waiter{c: r.c, stack: r.opts.Stack, opts: r.opts, clock: r.clock,
		progress: logging.NewProgress(r.log, r.opts.ProgressInterval)}
	for _, s := range p.services {
		if s.spec.Mode.Global != nil || (s.existing != nil && s.existing.Spec.Mode.Global != nil) {
			w.withStatus = true
		}
	}
	return w
}
