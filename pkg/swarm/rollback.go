package swarm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/twittix/infra/pkg/logging"
)

// fail records why the deploy failed and, with RollbackOnFailure, rolls back every service the
// run changed: updated services go back to their previous spec (through Swarm's own rollback
// when its previous spec is the one this run replaced), services the run created are removed.
// It then waits for the rollback to converge.
func (d *deployer) fail(ctx context.Context, failed []*target) error {
	end := d.log.Group("Deploy of stack " + d.opts.Stack + " failed")
	slices.SortFunc(failed, func(a, b *target) int { return strings.Compare(a.name, b.name) })
	for _, f := range d.diagnoseAll(ctx, failed) {
		d.result.Failures = append(d.result.Failures, f)
		d.log.Warnf("service %s failed: %s", f.Service, f.Reason)
		logging.Remote(d.log, f.logLines()...)
	}
	end()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !d.opts.RollbackOnFailure {
		d.log.Warnf("rollback_on_failure is off: the services are left as they are")
		return nil
	}
	return d.rollback(ctx)
}

// rollback undoes the changes of the run and waits for them to converge.
func (d *deployer) rollback(ctx context.Context) error {
	end := d.log.Group("Rolling back stack " + d.opts.Stack)
	defer end()
	res, err := d.c.ServiceList(ctx, client.ServiceListOptions{Filters: stackFilter(d.opts.Stack)})
	if err != nil {
		return fmt.Errorf("failed to list the services of stack %s to roll them back: %w", d.opts.Stack, err)
	}
	current := map[string]swarm.Service{}
	for _, s := range res.Items {
		current[s.ID] = s
	}

	var (
		mu       sync.Mutex
		waitFor  []*target
		refusals []ServiceFailure
	)
	since := d.clock.now()
	_ = parallel(ctx, len(d.services), maxParallel, func(ctx context.Context, i int) error {
		s := d.services[i]
		t := d.targets[s.name]
		if t == nil || t.kind == kindUnchanged {
			return nil // not reached, or not changed: nothing to undo
		}
		cur, ok := current[t.id]
		if !ok {
			return nil
		}
		start := d.clock.now()
		err := d.undo(ctx, s, t, cur)
		mu.Lock()
		defer mu.Unlock()
		// A removal is done once written; an update's timing is the wait's, below.
		d.rollbacks[s.name] = &Timing{Start: start, End: d.clock.now(), Converged: err == nil && t.kind == kindCreated, Failed: err != nil}
		switch {
		case err != nil:
			// The other services are still rolled back and waited for.
			d.rollbackFailed[s.name] = true
			refusals = append(refusals, ServiceFailure{Service: s.name, Reason: "the rollback failed: " + err.Error()})
			d.log.Warnf("service %s: the rollback failed: %v", s.name, err)
		case t.kind == kindCreated:
			d.removedNew[s.name] = true
		default:
			waitFor = append(waitFor, &target{id: t.id, name: t.name, kind: kindRollback, since: since,
				want: s.existing.Spec.TaskTemplate.ContainerSpec, started: start})
		}
		return nil
	})
	d.result.RolledBack = true
	slices.SortFunc(refusals, func(a, b ServiceFailure) int { return strings.Compare(a.Service, b.Service) })
	d.result.Failures = append(d.result.Failures, refusals...)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(waitFor) == 0 {
		return nil
	}
	slices.SortFunc(waitFor, func(a, b *target) int { return strings.Compare(a.name, b.name) })
	failed, err := d.newWaiter().wait(ctx, waitFor, d.opts.Timeout)
	for _, t := range waitFor {
		d.rollbacks[t.name] = t.timing()
		d.targets[t.name].service = t.service
		d.targets[t.name].running, d.targets[t.name].desired = t.running, t.desired
	}
	if err != nil {
		return err
	}
	for _, f := range d.diagnoseAll(ctx, failed) {
		f.Reason = "the rollback did not converge: " + f.Reason
		d.result.Failures = append(d.result.Failures, f)
		d.log.Warnf("service %s: %s", f.Service, f.Reason)
		d.rollbackFailed[f.Service] = true
	}
	if len(failed) == 0 {
		d.log.Infof("Rollback of stack %s converged", d.opts.Stack)
	}
	return nil
}

// undo removes a service the run created, or puts one it updated back to its previous spec.
func (d *deployer) undo(ctx context.Context, s *desiredService, t *target, cur swarm.Service) error {
	if t.kind != kindCreated {
		return d.rollbackService(ctx, s, cur)
	}
	d.log.Infof("Removing service %s, created by this deploy", s.name)
	if _, err := d.c.ServiceRemove(ctx, t.id, client.ServiceRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("failed to remove service %s: %w", s.name, err)
	}
	return nil
}

// rollbackService puts one updated service back to the spec it had before the run.
func (d *deployer) rollbackService(ctx context.Context, s *desiredService, cur swarm.Service) error {
	if us := cur.UpdateStatus; us != nil &&
		(us.State == swarm.UpdateStateRollbackStarted || us.State == swarm.UpdateStateRollbackCompleted) {
		d.log.Infof("Service %s: Swarm is rolling it back already", s.name)
		return nil
	}
	before := normalizeSpec(s.existing.Spec, d.netNames)
	if specsEqual(normalizeSpec(cur.Spec, d.netNames), before) {
		return nil // back already
	}
	opts := client.ServiceUpdateOptions{Version: cur.Version, EncodedRegistryAuth: s.auth}
	if cur.PreviousSpec != nil && specsEqual(normalizeSpec(*cur.PreviousSpec, d.netNames), before) {
		d.log.Infof("Rolling back service %s to %s", s.name, imageOf(s.existing.Spec))
		opts.Spec, opts.Rollback = cur.Spec, "previous"
	} else {
		d.log.Infof("Restoring the previous spec of service %s (%s)", s.name, imageOf(s.existing.Spec))
		opts.Spec = s.existing.Spec
		opts.Spec.TaskTemplate.ForceUpdate = cur.Spec.TaskTemplate.ForceUpdate
	}
	if _, err := d.c.ServiceUpdate(ctx, cur.ID, opts); err != nil {
		return fmt.Errorf("failed to roll back service %s: %w", s.name, err)
	}
	return nil
}
