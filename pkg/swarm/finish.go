package swarm

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

const finishTimeout = 30 * time.Second

// finish removes the secrets and configs no service uses any more (unless the run was
// interrupted: Swarm may still need them) and fills the result from the swarm's final state.
func (d *deployer) finish(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	final := map[string]swarm.Service{}
	_ = parallel(ctx, 2, 2, func(ctx context.Context, i int) error {
		if i == 0 {
			if !d.interrupted {
				d.collectGarbage(ctx)
			}
			return nil
		}
		res, err := d.c.ServiceList(ctx, client.ServiceListOptions{Filters: stackFilter(d.opts.Stack), Status: true})
		if err != nil {
			d.log.Warnf("failed to read the final state of stack %s: %v", d.opts.Stack, err)
			return nil
		}
		for _, s := range res.Items {
			final[s.Spec.Name] = s
		}
		return nil
	})

	failed := d.result.Failed()
	for _, s := range d.services {
		r := d.result.service(s.name)
		if s.existing != nil {
			r.ImageBefore = imageOf(s.existing.Spec)
		}
		r.Changes = s.changes
		r.Image = r.ImageBefore
		t := d.targets[s.name]
		if cur, ok := final[s.name]; ok {
			r.Image = imageOf(cur.Spec)
			switch {
			case t != nil && t.service != nil:
				// Tasks at the current spec, as last seen: not the old ones still stopping.
				r.Running, r.Desired = t.running, t.desired
			case cur.ServiceStatus != nil:
				r.Running, r.Desired = cur.ServiceStatus.RunningTasks, cur.ServiceStatus.DesiredTasks
			}
		}
		r.State = d.stateOf(s, t, failed)
		r.Update, r.Rollback = t.timing(), d.rollbacks[s.name]
		r.Changed = s.changed() && r.State != StateSkipped && d.applyErrs[s.name] == nil
		if r.Changed {
			d.result.Changed = append(d.result.Changed, s.name)
		}
	}
	if d.opts.Prune {
		for _, s := range d.prune {
			r := d.result.service(s.Spec.Name)
			r.ImageBefore = imageOf(s.Spec)
			if err := d.applyErrs[s.Spec.Name]; err != nil {
				r.State, r.Image = StateFailed, r.ImageBefore
				continue
			}
			r.State, r.Changed = StatePruned, true
			d.result.Changed = append(d.result.Changed, s.Spec.Name)
		}
	}
	slices.SortFunc(d.result.Services, func(a, b ServiceResult) int { return cmp.Compare(a.Name, b.Name) })
	slices.Sort(d.result.Changed)
}

// stateOf decides the state a service ends the run in.
func (d *deployer) stateOf(s *desiredService, t *target, failed bool) string {
	switch {
	case d.applyErrs[s.name] != nil:
		return StateFailed
	case t == nil:
		return StateSkipped
	case d.removedNew[s.name]:
		return StateRemovedNew
	case d.rollbackFailed[s.name]:
		return StateRollbackFailed
	case failed && d.result.RolledBack && t.kind != kindUnchanged:
		return StateRolledBack
	case d.failedNames[s.name]:
		return StateFailed
	case !t.done && t.kind != kindUnchanged && (d.interrupted || failed):
		return StatePending
	}
	switch t.kind {
	case kindCreated:
		return StateCreated
	case kindUpdated:
		return StateUpdated
	}
	return StateUnchanged
}

// collectGarbage removes the secrets and configs of the stack that no service references any
// more. After a successful deploy, that is every unused one but the objects of the files. After a
// failure, only the ones this run created: the previous release's objects stay, since rolling
// back to it (a rollback Swarm has yet to make, or a later `docker service rollback`) needs them.
func (d *deployer) collectGarbage(ctx context.Context) {
	var keep func(name string) bool
	if d.result.Failed() {
		created := map[string]bool{}
		for _, o := range slices.Concat(sortedObjects(d.secrets), sortedObjects(d.configs)) {
			created[o.name] = o.created
		}
		keep = func(name string) bool { return !created[name] }
	} else {
		files := map[string]bool{}
		for _, o := range slices.Concat(sortedObjects(d.secrets), sortedObjects(d.configs)) {
			files[o.name] = true
		}
		keep = func(name string) bool { return files[name] }
	}
	var (
		services client.ServiceListResult
		secrets  client.SecretListResult
		configs  client.ConfigListResult
		filter   = stackFilter(d.opts.Stack)
	)
	err := parallel(ctx, 3, 3, func(ctx context.Context, i int) error {
		var err error
		switch i {
		case 0:
			services, err = d.c.ServiceList(ctx, client.ServiceListOptions{})
		case 1:
			secrets, err = d.c.SecretList(ctx, client.SecretListOptions{Filters: filter})
		default:
			configs, err = d.c.ConfigList(ctx, client.ConfigListOptions{Filters: filter})
		}
		return err
	})
	if err != nil {
		d.log.Warnf("old secrets and configs are kept: %v", err)
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
			_, err = d.c.SecretRemove(ctx, o.id, client.SecretRemoveOptions{})
		} else {
			_, err = d.c.ConfigRemove(ctx, o.id, client.ConfigRemoveOptions{})
		}
		if err != nil {
			d.log.Warnf("failed to remove unused %s %s: %v", o.kind, o.name, err)
			return nil
		}
		removed[i] = o.name
		return nil
	})
	for _, name := range removed {
		if name != "" {
			d.result.RemovedObjects = append(d.result.RemovedObjects, name)
			d.log.Infof("Removed %s, no longer used", name)
		}
	}
	slices.Sort(d.result.RemovedObjects)
}

// sortedObjects returns the objects of m sorted by key.
func sortedObjects(m map[string]*fileObject) []*fileObject {
	out := make([]*fileObject, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}
