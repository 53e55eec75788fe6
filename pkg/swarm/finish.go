package swarm

import (
	"cmp"
	"context"
	"maps"
	"slices"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"golang.org/x/sync/errgroup"
)

// finish cleans up within the cleanup budget and fills the result from the outcomes and the
// swarm's final state. After an interrupted run the lock is released first, then the final state
// is read: nothing is removed, Swarm may still need the secrets and configs. Otherwise the unused
// secrets and configs are removed while the final state is read, before the lock is released, so
// that the next run finds the stack clean; a cancel during that stops them, and the lock goes.
func (r *run) finish(ctx context.Context, l *lock, p *plan, outcomes []*outcome, res *Result, interrupted bool) {
	var final map[string]swarm.Service
	if interrupted {
		cctx, cancel := r.cleanupContext(ctx)
		defer cancel()
		r.releaseWithin(cctx, l)
		final = r.finalState(cctx)
	} else {
		gctx, cancel := context.WithTimeout(ctx, r.opts.CleanupBudget)
		var g errgroup.Group
		g.Go(func() error { r.collectGarbage(gctx, p, res); return nil })
		g.Go(func() error { final = r.finalState(gctx); return nil })
		_ = g.Wait()
		cancel()
		r.release(ctx, l)
	}
	r.report(outcomes, final, res, runEnd{failed: res.Failed(), rolledBack: res.RolledBack, interrupted: interrupted})
}

// finalState reads the services of the stack by name, with their task counts.
func (r *run) finalState(ctx context.Context) map[string]swarm.Service {
	res, err := r.c.ServiceList(ctx, client.ServiceListOptions{Filters: stackFilter(r.opts.Stack), Status: true})
	if err != nil {
		r.log.Warnf("failed to read the final state of stack %s: %v", r.opts.Stack, err)
		return nil
	}
	final := map[string]swarm.Service{}
	for _, s := range res.Items {
		final[s.Spec.Name] = s
	}
	return final
}

// report fills the services of the result from their outcomes and final state.
func (r *run) report(outcomes []*outcome, final map[string]swarm.Service, res *Result, end runEnd) {
	for _, o := range outcomes {
		sr := res.service(o.name)
		if o.removed != nil {
			sr.ImageBefore = imageOf(o.removed.Spec)
			if o.err != nil {
				sr.State, sr.Image = StateFailed, sr.ImageBefore
				continue
			}
			sr.State, sr.Changed = StatePruned, true
			res.Changed = append(res.Changed, o.name)
			continue
		}
		s, t := o.svc, o.target
		if s.existing != nil {
			sr.ImageBefore = imageOf(s.existing.Spec)
		}
		sr.Changes = s.changes
		sr.Image = sr.ImageBefore
		if cur, ok := final[s.name]; ok {
			sr.Image = imageOf(cur.Spec)
			switch {
			case t != nil && t.service != nil:
				// Tasks at the current spec, as last seen: not the old ones still stopping.
				sr.Running, sr.Desired = t.running, t.desired
			case cur.ServiceStatus != nil:
				sr.Running, sr.Desired = cur.ServiceStatus.RunningTasks, cur.ServiceStatus.DesiredTasks
			}
		}
		sr.State = o.state(end)
		sr.Update, sr.Rollback = t.timing(), o.rollback
		sr.Changed = s.changed() && sr.State != StateSkipped && o.err == nil
		if sr.Changed {
			res.Changed = append(res.Changed, s.name)
		}
	}
	slices.SortFunc(res.Services, func(a, b ServiceResult) int { return cmp.Compare(a.Name, b.Name) })
	slices.Sort(res.Changed)
}

// collectGarbage removes the secrets and configs of the stack that no service references any
// more. After a successful deploy, that is every unused one but the objects of the files. After a
// failure, only the ones this run created: the previous release's objects stay, since rolling
// back to it (a rollback Swarm has yet to make, or a later `docker service rollback`) needs them.
func (r *run) collectGarbage(ctx context.Context, p *plan, res *Result) {
	var keep func(name string) bool
	if res.Failed() {
		created := map[string]bool{}
		for _, o := range slices.Concat(sortedObjects(p.secrets), sortedObjects(p.configs)) {
			created[o.Name] = o.created
		}
		keep = func(name string) bool { return !created[name] }
	} else {
		files := map[string]bool{}
		for _, o := range slices.Concat(sortedObjects(p.secrets), sortedObjects(p.configs)) {
			files[o.Name] = true
		}
		keep = func(name string) bool { return files[name] }
	}
	var (
		services client.ServiceListResult
		secrets  client.SecretListResult
		configs  client.ConfigListResult
		filter   = stackFilter(r.opts.Stack)
		g        errgroup.Group
	)
	g.Go(func() (err error) { services, err = r.c.ServiceList(ctx, client.ServiceListOptions{}); return err })
	g.Go(func() (err error) {
		secrets, err = r.c.SecretList(ctx, client.SecretListOptions{Filters: filter})
		return err
	})
	g.Go(func() (err error) {
		configs, err = r.c.ConfigList(ctx, client.ConfigListOptions{Filters: filter})
		return err
	})
	if err := g.Wait(); err != nil {
		r.log.Warnf("old secrets and configs are kept: %v", err)
		return
	}
	used := map[string]bool{}
	for _, s := range services.Items {
		if cs := s.Spec.TaskTemplate.ContainerSpec; cs != nil {
			for _, r := range cs.Secrets {
				used[r.SecretID] = true
			}
			for _, r := range cs.Configs {
				used[r.ConfigID] = true
			}
		}
	}
	type object struct{ kind, id, name string }
	var unused []object
	for _, s := range secrets.Items {
		if !used[s.ID] && !keep(s.Spec.Name) {
			unused = append(unused, object{kindSecret, s.ID, s.Spec.Name})
		}
	}
	for _, s := range configs.Items {
		if !used[s.ID] && !keep(s.Spec.Name) {
			unused = append(unused, object{kindConfig, s.ID, s.Spec.Name})
		}
	}
	removed := make([]string, len(unused))
	_ = parallel(ctx, len(unused), maxParallel, func(ctx context.Context, i int) error {
		o := unused[i]
		var err error
		if o.kind == kindSecret {
			_, err = r.c.SecretRemove(ctx, o.id, client.SecretRemoveOptions{})
		} else {
			_, err = r.c.ConfigRemove(ctx, o.id, client.ConfigRemoveOptions{})
		}
		if err != nil {
			r.log.Warnf("failed to remove unused %s %s: %v", o.kind, o.name, err)
			return nil
		}
		removed[i] = o.name
		return nil
	})
	for _, name := range removed {
		if name != "" {
			res.RemovedObjects = append(res.RemovedObjects, name)
			r.log.Infof("Removed %s, no longer used", name)
		}
	}
	slices.Sort(res.RemovedObjects)
}

// sortedObjects returns the objects of m sorted by key.
func sortedObjects(m map[string]*fileObject) []*fileObject {
	out := make([]*fileObject, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}
