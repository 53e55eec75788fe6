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
		svc.CredentialSpec.Config = configs[key].Name
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
