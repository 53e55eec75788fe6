package swarm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/docker/cli/cli/compose/convert"
	composetypes "github.com/docker/cli/cli/compose/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"golang.org/x/sync/errgroup"

	"github.com/twittix/infra/pkg/swarm/specdiff"
)

// Change is one difference between the running service and the files (see specdiff.Change).
type Change = specdiff.Change

// desiredService is a service of the files, converted, next to the one running (if any).
type desiredService struct {
	key      string // the compose key
	name     string // <stack>_<key>
	image    string // the image the files ask for (the com.docker.stack.image label)
	spec     swarm.ServiceSpec
	auth     string // X-Registry-Auth, never logged
	existing *swarm.Service
	changes  []Change
}

func (d *desiredService) changed() bool { return d.existing == nil || len(d.changes) > 0 }

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
		if o.id == "" && !o.external {
			out = append(out, o)
		}
	}
	return out
}

// plan converts the project and compares it with the swarm. It only reads: the services are
// converted once, before anything is read, so that a bad reference is an input error; the IDs
// of the objects are filled in as they become known.
func (r *run) plan(ctx context.Context, project *Project) (*plan, error) {
	cfg := project.Config
	p := &plan{}
	var err error
	if p.secrets, p.configs, err = planObjects(r.ns, project); err != nil {
		return nil, err
	}
	if p.services, err = planServices(r.ns, cfg, p.secrets, p.configs, r.opts.Registries, r.opts.WithRegistryAuth); err != nil {
		return nil, err
	}
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
	resolver := &imageResolver{c: r.c, log: r.log}
	if err := settleImages(ctx, resolver, p.services, r.opts.ResolveImage); err != nil {
		return nil, err
	}
	diffServices(p.services, p.netNames)
	secrets := r.opts.secretValues()
	for _, s := range p.services {
		specdiff.HideSecrets(s.changes, secrets)
	}
	return p, nil
}

// fillObjectIDs sets the ID of every secret and config a service references, once known: the
// services are converted before the objects are found or created.
func (p *plan) fillObjectIDs() {
	ids := map[string]string{}
	for _, o := range slices.Concat(sortedObjects(p.secrets), sortedObjects(p.configs)) {
		ids[o.kind+"/"+o.name] = o.id
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

// newNetwork is a network of the files that the swarm lacks.
type newNetwork struct {
	name string
	opts client.NetworkCreateOptions
}

// planNetworks converts the networks the services use, checks the external ones against all, and
// returns the ones to create, sorted by name.
func planNetworks(ns convert.Namespace, cfg *composetypes.Config, all []network.Summary) ([]newNetwork, error) {
	used := map[string]struct{}{}
	for _, svc := range cfg.Services {
		if len(svc.Networks) == 0 {
			used["default"] = struct{}{}
		}
		for n := range svc.Networks {
			used[n] = struct{}{}
		}
	}
	networks, externals := convert.Networks(ns, cfg.Networks, used)
	byName := map[string]network.Summary{}
	for _, n := range all {
		if n.Scope == "swarm" || !container.NetworkMode(n.Name).IsUserDefined() {
			byName[n.Name] = n
		}
	}
	var errs []error
	for _, name := range externals {
		if !container.NetworkMode(name).IsUserDefined() {
			continue
		}
		n, ok := byName[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("network %q is declared as external, but could not be found: create a swarm-scoped network first with `docker network create --driver overlay --attachable %s`", name, name))
		case n.Scope != "swarm":
			errs = append(errs, fmt.Errorf("network %q is declared as external, but it is not in the right scope: %q instead of \"swarm\"", name, n.Scope))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var missing []newNetwork
	for _, name := range slices.Sorted(maps.Keys(networks)) {
		if _, ok := byName[name]; !ok {
			opts := networks[name]
			opts.Driver = cmp.Or(opts.Driver, "overlay")
			missing = append(missing, newNetwork{name: name, opts: opts})
		}
	}
	return missing, nil
}

// planServices converts the services of the files into specs that reference the resolved
// secrets and configs, and sorts them by name.
func planServices(ns convert.Namespace, cfg *composetypes.Config, secrets, configs map[string]*fileObject, creds []RegistryCredential, withAuth bool) ([]*desiredService, error) {
	var (
		out  []*desiredService
		errs []error
	)
	for _, svc := range cfg.Services {
		d, err := planService(ns, cfg, svc, secrets, configs)
		if err == nil && withAuth {
			d.auth, err = encodedAuth(svc.Image, creds)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("service %s: %w", svc.Name, err))
			continue
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *desiredService) int { return cmp.Compare(a.name, b.name) })
	return out, errors.Join(errs...)
}

func planService(ns convert.Namespace, cfg *composetypes.Config, svc composetypes.ServiceConfig, secrets, configs map[string]*fileObject) (*desiredService, error) {
	sRefs, err := secretRefs(svc, secrets)
	if err != nil {
		return nil, err
	}
	cRefs, err := configRefs(svc, configs)
	if err != nil {
		return nil, err
	}
	if key := svc.CredentialSpec.Config; key != "" {
		// The config is renamed by content: let convert find it under its Swarm name.
		svc.CredentialSpec.Config = configs[key].name
	}
	spec, err := convert.Service(ns, svc, cfg.Networks, cfg.Volumes, sRefs, cRefs)
	if err != nil {
		return nil, err
	}
	return &desiredService{key: svc.Name, name: spec.Name, image: svc.Image, spec: spec}, nil
}

// settleImages sets the image each spec will run, following mode as `docker stack deploy
// --resolve-image` does: "always" asks the registry for every service; "changed" only when the
// image in the files changed, otherwise it keeps the image (and platforms) pinned by the previous
// deploy; "never" keeps the pinned image when unchanged and sends the tag otherwise.
func settleImages(ctx context.Context, r *imageResolver, services []*desiredService, mode ResolveImage) error {
	return parallel(ctx, len(services), maxParallel, func(ctx context.Context, i int) error {
		d := services[i]
		cs := d.spec.TaskTemplate.ContainerSpec
		sameImage := d.existing != nil && d.existing.Spec.Labels[convert.LabelImage] == d.image &&
			d.existing.Spec.TaskTemplate.ContainerSpec != nil
		switch {
		case mode == ResolveAlways || (mode == ResolveChanged && !sameImage):
			res := r.resolve(ctx, d.image, d.auth)
			cs.Image = res.image
			if len(res.platforms) > 0 {
				if d.spec.TaskTemplate.Placement == nil {
					d.spec.TaskTemplate.Placement = &swarm.Placement{}
				}
				d.spec.TaskTemplate.Placement.Platforms = res.platforms
			}
		case sameImage:
			cs.Image = d.existing.Spec.TaskTemplate.ContainerSpec.Image
			if p := d.existing.Spec.TaskTemplate.Placement; p != nil && len(p.Platforms) > 0 {
				if d.spec.TaskTemplate.Placement == nil {
					d.spec.TaskTemplate.Placement = &swarm.Placement{}
				}
				d.spec.TaskTemplate.Placement.Platforms = p.Platforms
			}
		default:
			cs.Image = imageWithTag(d.image)
		}
		return nil
	})
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
