package cloudrun

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"cloud.google.com/go/run/apiv2/runpb"

	"github.com/twittix/infra/pkg/cloudrun/traffic"
	"github.com/twittix/infra/pkg/field"
)

// CanaryRequest asks for traffic to be moved to a revision in steps, each baked under a gate.
type CanaryRequest struct {
	Service ServiceRef
	// To names the revision: a revision, a tag or LATEST (resolved once, at the start).
	To traffic.Assignment
	// Steps are the percents of the revision, strictly increasing, e.g. 10, 50, 100.
	Steps []int32
	// Bake is how long each step runs under the gate: one duration for every step, or one per step.
	Bake []time.Duration
	Gate Gate
}

// Step is what happened at one step of a canary.
type Step struct {
	Percent int32
	Bake    time.Duration
	// Skipped is true when the revision already had at least Percent.
	Skipped bool
	// Elapsed is the time from the traffic change to the end of the step.
	Elapsed time.Duration
	// Evaluations counts the checks of the gate; Checks are those of the last one.
	Evaluations int
	Checks      []Check
	Passed      bool
}

// Validate reports every problem of the request at once.
func (r CanaryRequest) Validate(hasMetrics bool) error {
	errs := []error{r.Service.Validate()}
	if len(r.Steps) == 0 {
		errs = append(errs, field.Missingf(FieldSteps, "no canary steps: give increasing percents, e.g. 10,50,100"))
	}
	errs = append(errs, CheckSteps(r.Steps), CheckBakes(len(r.Steps), r.Bake))
	errs = append(errs, r.Gate.validate(hasMetrics))
	return errors.Join(errs...)
}

func (r CanaryRequest) bake(i int) time.Duration {
	if len(r.Bake) == 1 {
		return r.Bake[0]
	}
	return r.Bake[i]
}

// canary is the state of one running canary.
type canary struct {
	c         *Client
	req       CanaryRequest
	ref       ServiceRef
	revision  string
	url       string                 // the revision's tag URL
	before    []*runpb.TrafficTarget // the split before the canary, restored on failure
	record    string                 // before, encoded for AnnotationPreviousTraffic
	expected  []*runpb.TrafficTarget // the split the canary last wrote
	svc       *runpb.Service         // the service as last read or written
	changed   bool                   // the canary wrote at least once
	writing   bool                   // a write of a step is under way or failed: k.svc may be stale
	inflight  *runpb.Service         // the last write of a step, planned
	interval  time.Duration
	startedAt time.Time
}

// Canary moves traffic to a revision in steps. At each step the revision's percent is set (the
// other serving targets scaled in proportion) and baked: the gate is checked every interval and
// at the end. A failing gate, or a cancelled context, puts back the split from before the canary
// (the Result says RolledBack) and returns an error naming the failed checks; after a cancel the
// rollback is written within the cancel budget (see WithCancelBudget), and its error says when
// Cloud Run had not finished applying it. A concurrent change of the traffic stops the canary
// without touching the traffic.
func (c *Client) Canary(ctx context.Context, req CanaryRequest) (*Result, error) {
	if err := req.Validate(c.metrics != nil); err != nil {
		return nil, err
	}
	k, res, err := c.startCanary(ctx, req)
	if err != nil {
		return res, err
	}
	for i, p := range req.Steps {
		step, err := k.step(ctx, i, p)
		res.Steps = append(res.Steps, step)
		if err == nil {
			continue
		}
		var refused *RefusedError
		var conflict *ConflictError
		if errors.As(err, &refused) || errors.As(err, &conflict) {
			return k.result(res), err // someone else is changing the traffic: leave it to them
		}
		rerr := k.rollback(ctx)
		var pending *PendingError
		switch {
		case errors.As(rerr, &refused):
			return k.result(res), fmt.Errorf("%w; %w", err, rerr)
		case rerr == nil:
			res.RolledBack = true
			return k.result(res), fmt.Errorf("%w; the traffic is back to %s", err, describe(k.before))
		case errors.As(rerr, &pending):
			res.RolledBack = true
			return k.result(res), fmt.Errorf("%w; the rollback to %s was written but not confirmed: Cloud Run was still applying it when the wait stopped; check the traffic of service %s", err, describe(k.before), k.ref.Service)
		default:
			return k.result(res), errors.Join(err, fmt.Errorf("the rollback failed too, the traffic may be as the canary left it (the split before the canary is recorded on the service: run mode rollback to restore it): %w", rerr))
		}
	}
	c.log.Infof("canary of %s passed: %s", k.revision, describe(k.svc.GetTraffic()))
	return k.result(res), nil
}

func (c *Client) startCanary(ctx context.Context, req CanaryRequest) (*canary, *Result, error) {
	ref := req.Service
	svc, err := c.getService(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	known := map[string]*runpb.Revision{}
	keys, err := c.resolveAll(ctx, ref, svc, []traffic.Assignment{req.To}, known)
	if err != nil {
		return nil, nil, err
	}
	revision := keys[0]
	if revision == traffic.Latest {
		revision = shortName(svc.GetLatestReadyRevision())
		if revision == "" {
			return nil, nil, errors.New("LATEST cannot be promoted: the service has no ready revision")
		}
	}
	if err := c.requireServable(ctx, ref, svc, revision, known); err != nil {
		return nil, nil, err
	}
	k := &canary{c: c, req: req, ref: ref, revision: revision, svc: svc, interval: req.Gate.Interval}
	if k.interval <= 0 {
		k.interval = 30 * time.Second
	}
	k.url = tagURL(svc, tagOf(svc, revision))
	if req.Gate.Probe != nil && k.url == "" {
		return nil, nil, fmt.Errorf("the probe needs a tag URL but revision %s has no tag: deploy it with a tag, or drop the probe", revision)
	}
	k.setBefore(svc)
	k.startedAt = c.now()
	res := &Result{Service: svc.GetName(), URL: svc.GetUri(), Revision: revision, PreviousTraffic: entries(svc), MetricGate: req.Gate.Metrics}
	return k, res, nil
}

func (k *canary) setBefore(svc *runpb.Service) {
	k.before = traffic.Normalize(svc.GetTraffic())
	k.record = traffic.Encode(k.before)
	k.expected = k.before
}

// RefusedError is a change refused because the service changed under this action in a way
// that makes the change unsafe; nothing was written.
type RefusedError struct {
	Reason string
}

func (e *RefusedError) Error() string { return e.Reason }

// gateError is a step whose gate failed.
type gateError struct {
	revision string
	step     int
	percent  int32
	detail   string
}

func (e *gateError) Error() string {
	return fmt.Sprintf("canary of revision %s failed its gate at step %d (%d%%): %s", e.revision, e.step, e.percent, e.detail)
}

// step sets the revision's percent, then bakes it under the gate.
func (k *canary) step(ctx context.Context, i int, percent int32) (Step, error) {
	c := k.c
	st := Step{Percent: percent, Bake: k.req.bake(i)}
	end := c.log.Group(fmt.Sprintf("Canary step %d/%d: %s at %d%% for %s", i+1, len(k.req.Steps), k.revision, percent, st.Bake))
	defer end()
	if err := k.shift(ctx, i, percent); err != nil {
		return st, err
	}
	if have := traffic.Percent(k.svc.GetTraffic(), k.revision, shortName(k.svc.GetLatestReadyRevision())); have > percent {
		c.log.Infof("revision %s already has %d%%: step skipped", k.revision, have)
		st.Skipped, st.Passed = true, true
		return st, nil
	}
	start := c.now()
	deadline := start.Add(st.Bake)
	for {
		if remaining := deadline.Sub(c.now()); remaining > 0 {
			if err := sleep(ctx, min(k.interval, remaining)); err != nil {
				return st, fmt.Errorf("canary of %s cancelled at step %d (%d%%): %w", k.revision, i+1, percent, err)
			}
		}
		final := !c.now().Before(deadline)
		checks, ok := c.evaluate(ctx, k.ref, k.req.Gate, k.revision, k.url, start, final)
		if err := ctx.Err(); err != nil {
			return st, fmt.Errorf("canary of %s cancelled at step %d (%d%%): %w", k.revision, i+1, percent, err)
		}
		st.Evaluations++
		st.Checks = checks
		st.Elapsed = c.now().Sub(start)
		c.progress.Report("canary", "step %d/%d (%d%%): baked %s of %s: %s", i+1, len(k.req.Steps), percent,
			st.Elapsed.Round(time.Second), st.Bake, brief(checks))
		if !ok {
			return st, &gateError{revision: k.revision, step: i + 1, percent: percent, detail: failures(checks)}
		}
		if final {
			st.Passed = true
			return st, nil
		}
	}
}

// shift writes the revision's percent of step i. The traffic must be what the canary last wrote:
// otherwise someone else is changing it and the canary stops (before the first write, it simply
// starts again from the new split).
func (k *canary) shift(ctx context.Context, i int, percent int32) error {
	c := k.c
	if i > 0 {
		svc, err := c.getService(ctx, k.ref)
		if err != nil {
			return err
		}
		k.svc = svc
	}
	change := fmt.Sprintf("canary %s step %d/%d (%d%%)", k.revision, i+1, len(k.req.Steps), percent)
	plan := func(svc *runpb.Service, reread bool) (*runpb.Service, error) {
		if !traffic.Equal(svc.GetTraffic(), k.expected) {
			if !k.changed {
				c.log.Warnf("the traffic of %s changed before the canary's first write: starting from %s", k.ref.Service, describe(svc.GetTraffic()))
				k.setBefore(svc)
			} else {
				return nil, &RefusedError{Reason: fmt.Sprintf("refusing to continue the canary: the traffic of %s changed while it ran (the canary set %s, it is now %s); someone else is changing it, so the traffic is left as it is: check the service, then run mode rollback or the canary again",
					k.ref.Service, describe(k.expected), describe(svc.GetTraffic()))}
			}
		}
		if traffic.Percent(svc.GetTraffic(), k.revision, shortName(svc.GetLatestReadyRevision())) > percent {
			return nil, nil
		}
		assign := []traffic.Assignment{{Kind: traffic.ByRevision, Name: k.revision, Percent: percent}}
		next, err := c.planTraffic(svc, assign, []string{k.revision}, change, k.record)
		k.inflight = next
		return next, err
	}
	k.writing = true
	_, after, err := c.write(ctx, k.ref, k.svc, plan)
	if err != nil {
		return err
	}
	k.writing = false
	if after != k.svc {
		k.changed = true
	}
	k.svc, k.expected = after, traffic.Normalize(after.GetTraffic())
	c.log.Infof("traffic of %s: %s", k.ref.Service, describe(after.GetTraffic()))
	return nil
}

// rollbackTimeout bounds a rollback after a failed gate.
const rollbackTimeout = 2 * time.Minute

// rollback puts back the split from before the canary, keeping the tags. It also runs when a
// write failed, as the write may have been applied.
//
// It runs even when ctx is cancelled (the job was cancelled), but then within the cancel budget:
// the runner kills a cancelled job about 10 seconds after it signals it. It then writes first,
// from the service as last seen (a stale etag costs a read and a new plan), and waits for Cloud
// Run to apply the change only for the rest of the budget; a change written but not seen applied
// is reported as a *PendingError. A rollback after a failed gate has two minutes, cut to the
// budget if the job is cancelled meanwhile.
func (k *canary) rollback(ctx context.Context) error {
	c := k.c
	cancelled := ctx.Err() != nil
	rctx, cancel := k.rollbackContext(ctx)
	defer cancel()
	start := c.now()
	end := c.log.Group(fmt.Sprintf("Roll back %s to %s", k.ref.Service, describe(k.before)))
	defer end()
	svc := k.svc
	if cancelled {
		c.log.Warnf("the job was cancelled: putting the traffic of %s back to %s, within %s before the runner kills the job", k.ref.Service, describe(k.before), c.cancelBudget)
	}
	if !cancelled || k.writing {
		// Read what Cloud Run has: after a failed gate there is time to, and a write of the
		// canary that did not complete may have been applied.
		var err error
		if svc, err = c.getService(rctx, k.ref); err != nil {
			k.reportRollback(cancelled, start, nil, err)
			return err
		}
	}
	var planned *runpb.Service
	plan := func(svc *runpb.Service, reread bool) (*runpb.Service, error) {
		planned = nil
		latest := shortName(svc.GetLatestReadyRevision())
		if traffic.Percent(svc.GetTraffic(), k.revision, latest) <= traffic.Percent(k.before, k.revision, latest) {
			c.log.Infof("revision %s has no more traffic than before the canary: nothing to roll back", k.revision)
			return nil, nil
		}
		if !k.ours(svc) {
			return nil, &RefusedError{Reason: fmt.Sprintf("not rolling back: the traffic of %s was changed by someone else during the canary (the canary set %s, it is now %s, last changed by %q), so it is left as it is: check the service, and run mode rollback to restore the split from before the canary (%s) if needed",
				k.ref.Service, describe(k.expected), describe(svc.GetTraffic()), changeRecord(svc), describe(k.before))}
		}
		restored, err := traffic.Restore(svc.GetTraffic(), k.before)
		if err != nil {
			return nil, err
		}
		planned = c.withTraffic(svc, restored, "rollback of canary "+k.revision, k.record)
		return planned, nil
	}
	before, after, err := c.write(rctx, k.ref, svc, plan)
	var pending *PendingError
	if errors.As(err, &pending) && planned != nil {
		// Cloud Run accepted the split: report it as written, its status as unknown.
		k.svc = cloneService(planned)
		k.svc.TrafficStatuses = nil
		k.changed = true
	}
	k.reportRollback(cancelled, start, planned, err)
	if err != nil {
		return err
	}
	k.svc = after
	if after != before {
		k.changed = true
	}
	return nil
}

// ours reports whether the traffic of svc is the canary's: what it last wrote, or what a write
// whose outcome is unknown asked for (with its change record).
func (k *canary) ours(svc *runpb.Service) bool {
	if traffic.Equal(svc.GetTraffic(), k.expected) {
		return true
	}
	w := k.inflight
	return k.writing && w != nil && traffic.Equal(svc.GetTraffic(), w.GetTraffic()) &&
		svc.GetAnnotations()[AnnotationChange] == w.GetAnnotations()[AnnotationChange]
}

// changeRecord returns the change record of svc, or a note that there is none.
func changeRecord(svc *runpb.Service) string {
	if r, ok := svc.GetAnnotations()[AnnotationChange]; ok {
		return r
	}
	return "not by this action"
}

// rollbackContext returns the context of a rollback: not cancelled with ctx, bounded by the
// cancel budget from when ctx is (or was) cancelled, and by rollbackTimeout.
func (k *canary) rollbackContext(ctx context.Context) (context.Context, context.CancelFunc) {
	budget := k.c.cancelBudget
	if ctx.Err() != nil {
		return context.WithTimeout(context.WithoutCancel(ctx), budget)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	var timer *time.Timer
	var mu sync.Mutex
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		k.c.log.Warnf("the job was cancelled during the rollback: finishing it within %s", budget)
		timer = time.AfterFunc(budget, cancel)
	})
	return rctx, func() {
		stop()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel()
	}
}

// reportRollback logs what a rollback did, and what it could not confirm. planned is the change
// written (or tried), nil when none was.
func (k *canary) reportRollback(cancelled bool, start time.Time, planned *runpb.Service, err error) {
	c := k.c
	took := c.now().Sub(start).Round(time.Millisecond)
	var pending *PendingError
	var refused *RefusedError
	switch {
	case errors.As(err, &refused):
		return // the traffic is someone else's: the caller reports why it is left alone
	case err == nil && planned != nil:
		c.log.Infof("traffic of %s rolled back in %s: %s", k.ref.Service, took, describe(planned.GetTraffic()))
	case err == nil:
		// Nothing to roll back: plan said so.
	case errors.As(err, &pending):
		op := ""
		if pending.Operation != "" {
			op = " (operation " + pending.Operation + ")"
		}
		c.log.Warnf("the rollback of %s was written: Cloud Run accepted the split %s, but was still applying it%s when the wait stopped after %s; it is not confirmed: check the traffic of the service",
			k.ref.Service, describe(planned.GetTraffic()), op, took)
	case planned != nil:
		c.log.Warnf("the rollback of %s could not be confirmed after %s (%v): the traffic may still be as the canary left it; the split before the canary (%s) is recorded on the service: run mode rollback to restore it",
			k.ref.Service, took, err, describe(k.before))
	default:
		c.log.Warnf("the rollback of %s failed after %s before anything was written (%v): the traffic may still be as the canary left it; the split before the canary (%s) is recorded on the service: run mode rollback to restore it",
			k.ref.Service, took, err, describe(k.before))
	}
	if cancelled && err != nil && !errors.As(err, &pending) {
		c.log.Warnf("the job was cancelled: nothing more can be done within the %s before the runner kills it", c.cancelBudget)
	}
}

func (k *canary) result(res *Result) *Result {
	res.Traffic = entries(k.svc)
	res.Tag = tagOf(k.svc, k.revision)
	res.TagURL = tagURL(k.svc, res.Tag)
	res.Changed = k.changed
	return res
}

// describe formats the serving part of a split, e.g. "web-1 90%, web-2 10%".
func describe(targets []*runpb.TrafficTarget) string {
	m, order := traffic.Percents(traffic.Normalize(targets))
	s := ""
	for i, k := range order {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %d%%", k, m[k])
	}
	return s
}
