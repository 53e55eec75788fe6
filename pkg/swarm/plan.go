package swarm

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/docker/cli/cli/compose/convert"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"golang.org/x/sync/errgroup"

	"github.com/twittix/infra/pkg/swarm/specdiff"
	"github.com/twittix/infra/pkg/swarm/stackfile"
)

// plan is what a deploy will do to the stack, computed from the compose files and the swarm's
// current objects without changing anything: the networks, secrets and configs to create, and
// every service of the files with the one running under its name and the differences.
type plan struct {
	services []*desiredService // sorted by name
	prune    []swarm.Service   // the stack's services that the files no longer define
	networks []newNetwork      // to create
	// secrets and configs are the objects of the files by compose key; the ones without an ID are
	// to be created.
	secrets, configs map[string]*fileObject
	netNames         map[string]string // network names by ID
}

// newObjects returns the secrets and configs to create.
func (p *plan) newObjects() []*fileObject {
	var out []*fileObject
	for _, o := range slices.Concat(sortedObjects(p.secrets), sortedObjects(p.configs)) {
		if o.id == "" && !o.External {
			out = append(out, o)
		}
	}
	return out
}

// plan converts the project and compares it with the swarm. It only reads: the services are
// converted once, before anything is read, so that a bad reference is an input error; the IDs
// of the objects are filled in as they become known.
func (r *run) plan(ctx context.Context, project *stackfile.Project) (*plan, error) {
	cfg := project.Config
	p := &plan{}
	var err error
	if p.secrets, p.configs, err = planObjects(r.ns, project); err != nil {
		return nil, err
	}
	if p.services, err = planServices(r.ns, cfg, p.secrets, p.configs, r.opts.Registries, r.opts.WithRegistryAuth); err != nil {
		return nil, err
	}
	resolver := &imageResolver{c: r.c, log: r.log}
	stop := r.prefetchImages(ctx, resolver, p.services)
	defer stop()
	var (
		existing []swarm.Service
		networks []network.Summary
		g        errgroup.Group
	)
	g.Go(func() error {
		res, err := r.c.ServiceList(ctx, client.ServiceListOptions{Filters: stackFilter(r.opts.Stack)})
		if err != nil {
			return fmt.Errorf("failed to list the services of stack %s: %w", r.opts.Stack, err)
		}
		existing = res.Items
		return nil
	})
	g.Go(func() error {
		res, err := r.c.NetworkList(ctx, client.NetworkListOptions{})
		if err != nil {
			return fmt.Errorf("failed to list networks: %w", err)
		}
		networks = res.Items
		return nil
	})
	g.Go(func() error { return findObjects(ctx, r.c, p.secrets, p.configs) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if p.networks, err = planNetworks(r.ns, cfg, networks); err != nil {
		return nil, err
	}
	p.netNames = map[string]string{}
	for _, n := range networks {
		p.netNames[n.ID] = n.Name
	}
	p.fillObjectIDs()
	byName := map[string]swarm.Service{}
	for _, s := range existing {
		byName[s.Spec.Name] = s
	}
	attachExisting(p.services, byName)
	for _, s := range existing {
		if !slices.ContainsFunc(p.services, func(d *desiredService) bool { return d.name == s.Spec.Name }) {
			p.prune = append(p.prune, s)
		}
	}
	if err := settleImages(ctx, resolver, p.services, r.opts.ResolveImage); err != nil {
		return nil, err
	}
	diffServices(p.services, p.netNames)
	secrets := r.opts.SecretValues()
	for _, s := range p.services {
		specdiff.HideSecrets(s.changes, secrets)
	}
	return p, nil
}

// prefetchImages asks the registry for the images of the services while the swarm is read, when
// every image is to be resolved. stop cancels the questions still open, so that an error found on
// the way does not wait for a slow registry, and waits for them.
func (r *run) prefetchImages(ctx context.Context, resolver *imageResolver, services []*desiredService) (stop func()) {
	if r.opts.ResolveImage != ResolveAlways {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, s := range services {
		wg.Go(func() { resolver.resolve(ctx, s.image, s.auth) })
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// fillObjectIDs sets the ID of every secret and config a service references, once known: the
// services are converted before the objects are found or created.
func (p *plan) fillObjectIDs() {
	ids := map[string]string{}
	for _, o := range slices.Concat(sortedObjects(p.secrets), sortedObjects(p.configs)) {
		ids[o.Kind+"/"+o.Name] = o.id
	}
	for _, s := range p.services {
		cs := s.spec.TaskTemplate.ContainerSpec
		for _, ref := range cs.Secrets {
			ref.SecretID = ids[kindSecret+"/"+ref.SecretName]
		}
		for _, ref := range cs.Configs {
			ref.ConfigID = ids[kindConfig+"/"+ref.ConfigName]
			if ref.Runtime != nil && cs.Privileges != nil && cs.Privileges.CredentialSpec != nil {
				// convert.Service names the credential spec's config by its ID.
				cs.Privileges.CredentialSpec.Config = ref.ConfigID
			}
		}
	}
}

// attachExisting pairs each service with the one running under its name. A deploy never forces
// an update: the running service's ForceUpdate counter is kept, as docker does.
func attachExisting(services []*desiredService, existing map[string]swarm.Service) {
	for _, d := range services {
		cur, ok := existing[d.name]
		if !ok {
			continue
		}
		d.existing = &cur
		d.spec.TaskTemplate.ForceUpdate = cur.Spec.TaskTemplate.ForceUpdate
	}
}

// diffServices fills the changes of the services that run already.
func diffServices(services []*desiredService, netNames map[string]string) {
	for _, d := range services {
		if d.existing != nil {
			d.changes = specdiff.Changes(d.existing.Spec, d.spec, netNames)
		}
	}
}

// stackFilter selects the objects of a stack by docker's namespace label.
func stackFilter(stack string) client.Filters {
	return make(client.Filters).Add("label", convert.LabelNamespace+"="+stack)
}
