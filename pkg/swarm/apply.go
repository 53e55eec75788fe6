package swarm

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/twittix/infra/pkg/logging"
)

// apply removes the pruned services and creates or updates the changed ones, all at once. It
// returns the errors by service name; the services it reached get a target to wait for.
func (d *deployer) apply(ctx context.Context) map[string]error {
	end := d.log.Group("Deploying stack " + d.opts.Stack)
	defer end()
	for _, name := range d.result.Networks {
		d.log.Infof("Created network %s", name)
	}
	for _, objs := range []map[string]*fileObject{d.secrets, d.configs} {
		for _, o := range sortedObjects(objs) {
			if o.created {
				d.log.Infof("Created %s %s (%s)", o.kind, o.name, o.key)
			}
		}
	}

	var (
		mu   sync.Mutex
		errs = map[string]error{}
	)
	d.targets = map[string]*target{}
	var prune []swarm.Service
	if d.opts.Prune {
		prune = d.prune
	}
	since := d.clock.now()
	n := len(prune) + len(d.services)
	_ = parallel(ctx, n, maxParallel, func(ctx context.Context, i int) error {
		if i < len(prune) {
			s := prune[i]
			d.log.Infof("Removing service %s (no longer in the compose files)", s.Spec.Name)
			if _, err := d.c.ServiceRemove(ctx, s.ID, client.ServiceRemoveOptions{}); err != nil {
				mu.Lock()
				errs[s.Spec.Name] = fmt.Errorf("failed to remove service %s: %w", s.Spec.Name, err)
				mu.Unlock()
			}
			return nil
		}
		s := d.services[i-len(prune)]
		t, err := d.applyService(ctx, s, since)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs[s.name] = err
			return nil
		}
		d.targets[s.name] = t
		return nil
	})
	return errs
}

// applyService creates or updates one service when it changed, and returns what to wait for.
func (d *deployer) applyService(ctx context.Context, s *desiredService, since time.Time) (*target, error) {
	t := &target{name: s.name, since: since, want: s.spec.TaskTemplate.ContainerSpec}
	switch {
	case s.existing == nil:
		d.log.Infof("Creating service %s (%s)", s.name, imageOf(s.spec))
		t.started = d.clock.now()
		res, err := d.c.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: s.spec, EncodedRegistryAuth: s.auth})
		if err != nil {
			return nil, fmt.Errorf("failed to create service %s: %w", s.name, err)
		}
		warn(d.log, s.name, res.Warnings)
		t.id, t.kind, t.stableFor = res.ID, kindCreated, monitorOf(s.spec.UpdateConfig)
	case len(s.changes) > 0:
		d.log.Infof("Updating service %s (%s)", s.name, changeSummary(s.changes))
		t.started = d.clock.now()
		res, err := d.c.ServiceUpdate(ctx, s.existing.ID, client.ServiceUpdateOptions{
			Version: s.existing.Version, Spec: s.spec, EncodedRegistryAuth: s.auth,
		})
		if err != nil {
			return nil, fmt.Errorf("failed to update service %s: %w", s.name, err)
		}
		warn(d.log, s.name, res.Warnings)
		t.id, t.kind = s.existing.ID, kindUpdated
	default:
		t.id, t.kind = s.existing.ID, kindUnchanged
	}
	return t, nil
}

func warn(log logging.Logger, name string, warnings []string) {
	for _, w := range warnings {
		log.Warnf("service %s: %s", name, w)
	}
}

// changeSummary lists the fields of changes, with the image change spelled out.
func changeSummary(changes []Change) string {
	s := ""
	for i, c := range changes {
		if i > 0 {
			s += ", "
		}
		if c.Field == "image" {
			s += fmt.Sprintf("image %s -> %s", c.Before, c.After)
			continue
		}
		s += c.Field
	}
	return s
}

// waitAll waits for every service of the files at once. Services whose apply failed count as
// failed without waiting.
func (d *deployer) waitAll(ctx context.Context, applyErrs map[string]error) ([]*target, error) {
	var failed []*target
	for name, err := range applyErrs {
		failed = append(failed, &target{name: name, reason: err.Error(), since: d.clock.now()})
	}
	if len(failed) > 0 {
		return failed, nil
	}
	end := d.log.Group(fmt.Sprintf("Waiting for %d services of stack %s (timeout %s)", len(d.targets), d.opts.Stack, d.opts.Timeout))
	defer end()
	w := d.newWaiter()
	targets := make([]*target, 0, len(d.targets))
	for _, s := range d.services {
		targets = append(targets, d.targets[s.name])
	}
	failed, err := w.wait(ctx, targets, d.opts.Timeout)
	if err == nil && len(failed) == 0 {
		d.log.Infof("All %d services of stack %s converged", len(targets), d.opts.Stack)
	}
	return failed, err
}

func (d *deployer) newWaiter() *waiter {
	w := &waiter{c: d.c, stack: d.opts.Stack, opts: d.opts, clock: d.clock,
		progress: logging.NewProgress(d.log, d.opts.ProgressInterval)}
	for _, s := range d.services {
		if s.spec.Mode.Global != nil {
			w.withStatus = true
		}
		if s.existing != nil && s.existing.Spec.Mode.Global != nil {
			w.withStatus = true
		}
	}
	return w
}
