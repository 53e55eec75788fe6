package swarm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/twittix/infra/pkg/logging"
	"github.com/twittix/infra/pkg/swarm/specdiff"
)

// fail records why the deploy failed and, with RollbackOnFailure, rolls back every service the
// run changed: updated services go back to their previous spec (through Swarm's own rollback
// when its previous spec is the one this run replaced), services the run created are removed.
// It then waits for the rollback to converge.
func (r *run) fail(ctx context.Context, p *plan, outcomes []*outcome, failed []*target, res *Result) error {
	end := r.log.Group("Deploy of stack " + r.opts.Stack + " failed")
	slices.SortFunc(failed, func(a, b *target) int { return strings.Compare(a.name, b.name) })
	for _, f := range r.diagnoseAll(ctx, failed) {
		res.Failures = append(res.Failures, f)
		r.log.Warnf("service %s failed: %s", f.Service, f.Reason)
		logging.Remote(r.log, f.logLines()...)
	}
	end()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !r.opts.RollbackOnFailure {
		r.log.Warnf("rollback on failure is off: the services are left as they are")
		return nil
	}
	return r.rollback(ctx, p, outcomes, res)
}

// rollback undoes the changes of the run and waits for them to converge.
func (r *run) rollback(ctx context.Context, p *plan, outcomes []*outcome, res *Result) error {
	end := r.log.Group("Rolling back stack " + r.opts.Stack)
	defer end()
	list, err := r.c.ServiceList(ctx, client.ServiceListOptions{Filters: stackFilter(r.opts.Stack)})
	if err != nil {
		return fmt.Errorf("failed to list the services of stack %s to roll them back: %w", r.opts.Stack, err)
	}
	current := map[string]swarm.Service{}
	for _, s := range list.Items {
		current[s.ID] = s
	}

	since := r.clock.now()
	_ = parallel(ctx, len(outcomes), maxParallel, func(ctx context.Context, i int) error {
		o := outcomes[i]
		t := o.target
		if o.svc == nil || t == nil || t.kind == kindUnchanged {
			return nil // pruned, not reached, or not changed: nothing to undo
		}
		cur, ok := current[t.id]
		if !ok {
			return nil
		}
		start := r.clock.now()
		o.rollbackErr = r.undo(ctx, p, o.svc, t, cur)
		// A removal is done once written; an update's timing is the wait's, below.
		o.rollback = &Timing{Start: start, End: r.clock.now(), Converged: o.rollbackErr == nil && t.kind == kindCreated, Failed: o.rollbackErr != nil}
		switch {
		case o.rollbackErr != nil:
			// The other services are still rolled back and waited for.
			r.log.Warnf("service %s: the rollback failed: %v", o.name, o.rollbackErr)
		case t.kind != kindCreated:
			o.rollbackWait = &target{id: t.id, name: t.name, kind: kindRollback, since: since,
				want: o.svc.existing.Spec.TaskTemplate.ContainerSpec, started: start}
		}
		return nil
	})
	res.RolledBack = true
	var waitFor []*target
	for _, o := range outcomes { // sorted by name
		if o.rollbackErr != nil {
			res.Failures = append(res.Failures, ServiceFailure{Service: o.name, Reason: "the rollback failed: " + o.rollbackErr.Error()})
		}
		if o.rollbackWait != nil {
			waitFor = append(waitFor, o.rollbackWait)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(waitFor) == 0 {
		return nil
	}
	failed, err := r.newWaiter(p).wait(ctx, waitFor, r.opts.Timeout)
	for _, o := range outcomes {
		if w := o.rollbackWait; w != nil {
			o.rollback = w.timing()
			o.target.service, o.target.running, o.target.desired = w.service, w.running, w.desired
		}
	}
	if err != nil {
		return err
	}
	for _, f := range r.diagnoseAll(ctx, failed) {
		f.Reason = "the rollback did not converge: " + f.Reason
		res.Failures = append(res.Failures, f)
		r.log.Warnf("service %s: %s", f.Service, f.Reason)
	}
	if len(failed) == 0 {
		r.log.Infof("Rollback of stack %s converged", r.opts.Stack)
	}
	return nil
}

// undo removes a service the run created, or puts one it updated back to its previous spec.
func (r *run) undo(ctx context.Context, p *plan, s *desiredService, t *target, cur swarm.Service) error {
	if t.kind != kindCreated {
		return r.rollbackService(ctx, p, s, cur)
	}
	r.log.Infof("Removing service %s, created by this deploy", s.name)
	if _, err := r.c.ServiceRemove(ctx, t.id, client.ServiceRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("failed to remove service %s: %w", s.name, err)
	}
	return nil
}

// sequenceRetries is how many times a rollback is written again after Swarm answered that the
// service changed since it was read.
const sequenceRetries = 3

// rollbackService puts one updated service back to the spec it had before the run. Swarm moves a
// service's version on by itself while an update progresses (its update status is stored in the
// service), so the version read before may be stale: Swarm then refuses the write with "update
// out of sequence", and the service is read again and the rollback decided anew.
func (r *run) rollbackService(ctx context.Context, p *plan, s *desiredService, cur swarm.Service) error {
	for try := 1; ; try++ {
		err := r.rollbackOnce(ctx, p, s, cur)
		if err == nil || !outOfSequence(err) || try == sequenceRetries {
			return err
		}
		res, ierr := r.c.ServiceInspect(ctx, cur.ID, client.ServiceInspectOptions{})
		if ierr != nil {
			return errors.Join(err, fmt.Errorf("failed to read service %s again: %w", s.name, ierr))
		}
		cur = res.Service
	}
}

// outOfSequence reports whether Swarm refused a service update because the service changed since
// the version the update carries (swarmkit's ErrSequenceConflict, which reaches the client as
// text only).
func outOfSequence(err error) bool {
	return strings.Contains(err.Error(), "update out of sequence")
}

// rollbackOnce is one attempt of rollbackService on the service as last read.
func (r *run) rollbackOnce(ctx context.Context, p *plan, s *desiredService, cur swarm.Service) error {
	if us := cur.UpdateStatus; us != nil &&
		(us.State == swarm.UpdateStateRollbackStarted || us.State == swarm.UpdateStateRollbackCompleted) {
		r.log.Infof("Service %s: Swarm is rolling it back already", s.name)
		return nil
	}
	if specdiff.Same(cur.Spec, s.existing.Spec, p.netNames) {
		return nil // back already
	}
	opts := client.ServiceUpdateOptions{Version: cur.Version, EncodedRegistryAuth: s.auth}
	if cur.PreviousSpec != nil && specdiff.Same(*cur.PreviousSpec, s.existing.Spec, p.netNames) {
		r.log.Infof("Rolling back service %s to %s", s.name, imageOf(s.existing.Spec))
		opts.Spec, opts.Rollback = cur.Spec, "previous"
	} else {
		r.log.Infof("Restoring the previous spec of service %s (%s)", s.name, imageOf(s.existing.Spec))
		opts.Spec = s.existing.Spec
		opts.Spec.TaskTemplate.ForceUpdate = cur.Spec.TaskTemplate.ForceUpdate
	}
	if _, err := r.c.ServiceUpdate(ctx, cur.ID, opts); err != nil {
		return fmt.Errorf("failed to roll back service %s: %w", s.name, err)
	}
	return nil
}
