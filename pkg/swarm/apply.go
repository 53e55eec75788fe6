package swarm

import (
	"context"
	"fmt"
	"time"

	"github.com/moby/moby/client"
	"github.com/twittix/infra/pkg/logging"
)

// apply creates the networks, secrets and configs of the plan, then removes the pruned services
// (with Prune) and creates or updates the changed ones, all at once. It returns one outcome per
// service it handles; its error means an object could not be created, and no service was touched.
func (r *run) apply(ctx context.Context, p *plan, res *Result) ([]*outcome, error) {
	if err := r.createMissing(ctx, p, res); err != nil {
		return nil, err
	}
	end := r.log.Group("Deploying stack " + r.opts.Stack)
	defer end()
	for _, name := range res.Networks {
		r.log.Infof("Created network %s", name)
	}
	for _, o := range append(sortedObjects(p.secrets), sortedObjects(p.configs)...) {
		if o.created {
			r.log.Infof("Created %s %s (%s)", o.Kind, o.Name, o.Key)
		}
	}

	var outcomes []*outcome
	if r.opts.Prune {
		for i := range p.prune {
			outcomes = append(outcomes, &outcome{name: p.prune[i].Spec.Name, removed: &p.prune[i]})
		}
	}
	for _, s := range p.services {
		outcomes = append(outcomes, &outcome{name: s.name, svc: s})
	}
	since := r.clock.now()
	_ = parallel(ctx, len(outcomes), maxParallel, func(ctx context.Context, i int) error {
		o := outcomes[i]
		if o.removed != nil {
			r.log.Infof("Removing service %s (no longer in the compose files)", o.name)
			if _, err := r.c.ServiceRemove(ctx, o.removed.ID, client.ServiceRemoveOptions{}); err != nil {
				o.err = fmt.Errorf("failed to remove service %s: %w", o.name, err)
			}
			return nil
		}
		o.target, o.err = r.applyService(ctx, o.svc, since)
		return nil
	})
	return outcomes, nil
}

// createMissing creates the networks, then the secrets and configs, that the plan lacks, and fills
// the services' references with the new IDs.
func (r *run) createMissing(ctx context.Context, p *plan, res *Result) error {
	for _, n := range p.networks {
		res.Networks = append(res.Networks, n.name)
	}
	err := parallel(ctx, len(p.networks), maxParallel, func(ctx context.Context, i int) error {
		n := p.networks[i]
		if _, err := r.c.NetworkCreate(ctx, n.name, n.opts); err != nil {
			return fmt.Errorf("failed to create network %s: %w", n.name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := createObjects(ctx, r.c, p.newObjects()); err != nil {
		return err
	}
	p.fillObjectIDs()
	for _, o := range sortedObjects(p.secrets) {
		if o.created {
			res.Secrets = append(res.Secrets, o.Name)
		}
	}
	for _, o := range sortedObjects(p.configs) {
		if o.created {
			res.Configs = append(res.Configs, o.Name)
		}
	}
	return nil
}

// applyService creates or updates one service when it changed, and returns what to wait for.
func (r *run) applyService(ctx context.Context, s *desiredService, since time.Time) (*target, error) {
	t := &target{name: s.name, since: since, want: s.spec.TaskTemplate.ContainerSpec}
	switch {
	case s.existing == nil:
		r.log.Infof("Creating service %s (%s)", s.name, imageOf(s.spec))
		t.started = r.clock.now()
		res, err := r.c.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: s.spec, EncodedRegistryAuth: s.auth})
		if err != nil {
			return nil, fmt.Errorf("failed to create service %s: %w", s.name, err)
		}
		warn(r.log, s.name, res.Warnings)
		t.id, t.kind, t.stableFor = res.ID, kindCreated, monitorOf(s.spec.UpdateConfig)
	case len(s.changes) > 0:
		r.log.Infof("Updating service %s (%s)", s.name, changeSummary(s.changes))
		t.started = r.clock.now()
		res, err := r.c.ServiceUpdate(ctx, s.existing.ID, client.ServiceUpdateOptions{
			Version: s.existing.Version, Spec: s.spec, EncodedRegistryAuth: s.auth,
		})
		if err != nil {
			return nil, fmt.Errorf("failed to update service %s: %w", s.name, err)
		}
		warn(r.log, s.name, res.Warnings)
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
