package swarm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/docker/cli/cli/compose/convert"
	composetypes "github.com/docker/cli/cli/compose/types"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"golang.org/x/sync/errgroup"

	"github.com/twittix/infra/pkg/swarm/stackfile"
)

const (
	kindSecret = stackfile.KindSecret
	kindConfig = stackfile.KindConfig
)

// fileObject is a secret or config of the files, with its ID once known.
type fileObject struct {
	stackfile.Object
	id      string
	created bool // created by this run
}

// planObjects converts the project's secrets and configs, by compose key.
func planObjects(ns convert.Namespace, p *stackfile.Project) (secrets, configs map[string]*fileObject, err error) {
	s, c, err := stackfile.Objects(ns, p)
	if err != nil {
		return nil, nil, err
	}
	wrap := func(objs map[string]stackfile.Object) map[string]*fileObject {
		out := make(map[string]*fileObject, len(objs))
		for k, o := range objs {
			out[k] = &fileObject{Object: o}
		}
		return out
	}
	return wrap(s), wrap(c), nil
}

// findObjects sets the IDs of the objects that exist. External objects must exist.
func findObjects(ctx context.Context, c Client, secrets, configs map[string]*fileObject) error {
	var (
		secretIDs = map[string]string{}
		configIDs = map[string]string{}
		g         errgroup.Group
	)
	if len(secrets) > 0 {
		g.Go(func() error {
			res, err := c.SecretList(ctx, client.SecretListOptions{})
			return idsByName(secretIDs, res.Items, func(s swarm.Secret) (string, string) { return s.Spec.Name, s.ID }, "secrets", err)
		})
	}
	if len(configs) > 0 {
		g.Go(func() error {
			res, err := c.ConfigList(ctx, client.ConfigListOptions{})
			return idsByName(configIDs, res.Items, func(s swarm.Config) (string, string) { return s.Spec.Name, s.ID }, "configs", err)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var errs []error
	for _, objs := range []struct {
		m   map[string]*fileObject
		ids map[string]string
	}{{secrets, secretIDs}, {configs, configIDs}} {
		for _, key := range slices.Sorted(maps.Keys(objs.m)) {
			o := objs.m[key]
			o.id = objs.ids[o.Name]
			if o.id == "" && o.External {
				errs = append(errs, fmt.Errorf("%s %q is declared external but does not exist: create it first with `docker %s create %s -`", o.Kind, o.Name, o.Kind, o.Name))
			}
		}
	}
	return errors.Join(errs...)
}

// idsByName adds the ID of each listed object to ids, by name; err is the listing's.
func idsByName[T any](ids map[string]string, items []T, nameID func(T) (string, string), what string, err error) error {
	if err != nil {
		return fmt.Errorf("failed to list %s: %w", what, err)
	}
	for _, item := range items {
		name, id := nameID(item)
		ids[name] = id
	}
	return nil
}

// createObjects creates the missing secrets and configs.
func createObjects(ctx context.Context, c Client, missing []*fileObject) error {
	return parallel(ctx, len(missing), maxParallel, func(ctx context.Context, i int) error {
		o := missing[i]
		var err error
		if o.Kind == kindSecret {
			var res client.SecretCreateResult
			res, err = c.SecretCreate(ctx, client.SecretCreateOptions{Spec: o.Secret})
			o.id = res.ID
		} else {
			var res client.ConfigCreateResult
			res, err = c.ConfigCreate(ctx, client.ConfigCreateOptions{Spec: o.Config})
			o.id = res.ID
		}
		if err != nil {
			return fmt.Errorf("failed to create %s %s: %w", o.Kind, o.Name, err)
		}
		o.created = true
		return nil
	})
}

// fileRef is a service's reference to a secret or config of the files: mounted as a file, or
// (a config) used by the runtime.
type fileRef struct {
	obj     *fileObject
	file    swarm.SecretReferenceFileTarget // the same fields as a ConfigReferenceFileTarget
	runtime bool                            // a config used by the runtime (credential spec), not a file
}

// fileRefs resolves a service's references to the objects of one kind, as docker/cli's convert
// would (target defaults to the key, uid/gid to 0, mode to 0444), refusing an undefined object or
// two references to one target.
func fileRefs(kind string, refs []composetypes.FileReferenceConfig, objs map[string]*fileObject) ([]fileRef, error) {
	out := make([]fileRef, 0, len(refs))
	targets := map[string]bool{}
	for _, r := range refs {
		o, ok := objs[r.Source]
		if !ok {
			return nil, fmt.Errorf("undefined %s %q: declare it under the top-level %ss key", kind, r.Source, kind)
		}
		target := cmp.Or(r.Target, r.Source)
		if targets[target] {
			return nil, fmt.Errorf("duplicate %s target for %s not allowed", kind, o.Name)
		}
		targets[target] = true
		out = append(out, fileRef{obj: o, file: swarm.SecretReferenceFileTarget{
			Name: target, UID: cmp.Or(r.UID, "0"), GID: cmp.Or(r.GID, "0"), Mode: fileMode(r.Mode)}})
	}
	return out, nil
}

// secretRefs returns the references of a service to its secrets in docker's order: sorted by the
// name docker gives each secret (so "tls" before "tls-2", whatever their hashes), stable for
// references to one secret.
func secretRefs(svc composetypes.ServiceConfig, objs map[string]*fileObject) ([]*swarm.SecretReference, error) {
	var in []composetypes.FileReferenceConfig
	for _, s := range svc.Secrets {
		in = append(in, composetypes.FileReferenceConfig(s))
	}
	resolved, err := fileRefs(kindSecret, in, objs)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(resolved, func(a, b fileRef) int { return cmp.Compare(a.obj.DockerName, b.obj.DockerName) })
	refs := make([]*swarm.SecretReference, 0, len(resolved))
	for _, r := range resolved {
		refs = append(refs, &swarm.SecretReference{File: &r.file, SecretID: r.obj.id, SecretName: r.obj.Name})
	}
	return refs, nil
}

// configRefs is secretRefs for configs, plus the runtime reference of a credential spec (sorted
// with the others, as docker does).
func configRefs(svc composetypes.ServiceConfig, objs map[string]*fileObject) ([]*swarm.ConfigReference, error) {
	var in []composetypes.FileReferenceConfig
	for _, c := range svc.Configs {
		in = append(in, composetypes.FileReferenceConfig(c))
	}
	resolved, err := fileRefs(kindConfig, in, objs)
	if err != nil {
		return nil, err
	}
	if cs := svc.CredentialSpec.Config; cs != "" {
		o, ok := objs[cs]
		if !ok {
			return nil, fmt.Errorf("undefined config %q in credential_spec: declare it under the top-level configs key", cs)
		}
		resolved = append(resolved, fileRef{obj: o, runtime: true})
	}
	slices.SortStableFunc(resolved, func(a, b fileRef) int { return cmp.Compare(a.obj.DockerName, b.obj.DockerName) })
	refs := make([]*swarm.ConfigReference, 0, len(resolved))
	for _, r := range resolved {
		ref := &swarm.ConfigReference{ConfigID: r.obj.id, ConfigName: r.obj.Name}
		if r.runtime {
			ref.Runtime = &swarm.ConfigReferenceRuntimeTarget{}
		} else {
			ref.File = (*swarm.ConfigReferenceFileTarget)(&r.file)
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

func fileMode(m *uint32) os.FileMode {
	if m == nil {
		return 0o444
	}
	return os.FileMode(*m)
}
