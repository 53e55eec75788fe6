package swarm

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
)

// Secrets and configs are immutable in Swarm. Each one the files define is named after its
// content, <stack>_<key>-<hash8> (or <name>-<hash8> when the file sets `name:`), so that a change
// creates a new object that the services switch to, while the file a service sees keeps the
// target the compose file asks for (by default the key). Objects of the stack that no service
// uses any more are removed once the deploy is over.

const (
	kindSecret = "secret"
	kindConfig = "config"
	// labelContentHash marks the objects named by content.
	labelContentHash = "io.twittix.infra.content-hash"
)

// fileObject is a secret or config of the files.
type fileObject struct {
	kind string
	key  string // the compose key
	name string // the Swarm name
	// dockerName is the name `docker stack deploy` gives the object (<stack>_<key>, or the name
	// the file sets), by which docker orders a service's references to objects of a kind.
	dockerName string
	external   bool
	secret     swarm.SecretSpec
	config     swarm.ConfigSpec
	id         string // once known
	created    bool   // created by this run
}

// planObjects converts the project's secrets and configs and names them by content. The content of
// their files was read, confined and capped, by Load; nothing is read here.
func planObjects(ns convert.Namespace, p *Project) (secrets, configs map[string]*fileObject, err error) {
	cfg := p.Config
	secrets, configs = map[string]*fileObject{}, map[string]*fileObject{}
	var errs []error
	for _, key := range slices.Sorted(maps.Keys(cfg.Secrets)) {
		s := cfg.Secrets[key]
		if s.External.External {
			name := cmp.Or(s.Name, key)
			secrets[key] = &fileObject{kind: kindSecret, key: key, name: name, dockerName: name, external: true}
			continue
		}
		data, ok := p.data.secrets[key]
		if !ok && s.Driver == "" {
			errs = append(errs, fmt.Errorf("secret %s: its file was not read: load the project with Load", key))
			continue
		}
		spec := swarm.SecretSpec{Annotations: objectAnnotations(ns, key, s.Name, s.Labels), Data: data}
		if s.Driver != "" {
			spec.Driver, spec.Data = &swarm.Driver{Name: s.Driver, Options: s.DriverOpts}, []byte{}
		}
		if s.TemplateDriver != "" {
			spec.Templating = &swarm.Driver{Name: s.TemplateDriver}
		}
		dockerName := spec.Name
		hash := contentHash(kindSecret, spec.Data, spec.Driver, spec.Templating)
		spec.Name = spec.Name + "-" + hash[:8]
		spec.Labels[labelContentHash] = hash
		secrets[key] = &fileObject{kind: kindSecret, key: key, name: spec.Name, dockerName: dockerName, secret: spec}
	}
	for _, key := range slices.Sorted(maps.Keys(cfg.Configs)) {
		c := cfg.Configs[key]
		if c.External.External {
			name := cmp.Or(c.Name, key)
			configs[key] = &fileObject{kind: kindConfig, key: key, name: name, dockerName: name, external: true}
			continue
		}
		data, ok := p.data.configs[key]
		if !ok {
			errs = append(errs, fmt.Errorf("config %s: its file was not read: load the project with Load", key))
			continue
		}
		spec := swarm.ConfigSpec{Annotations: objectAnnotations(ns, key, c.Name, c.Labels), Data: data}
		if c.TemplateDriver != "" {
			spec.Templating = &swarm.Driver{Name: c.TemplateDriver}
		}
		dockerName := spec.Name
		hash := contentHash(kindConfig, spec.Data, nil, spec.Templating)
		spec.Name = spec.Name + "-" + hash[:8]
		spec.Labels[labelContentHash] = hash
		configs[key] = &fileObject{kind: kindConfig, key: key, name: spec.Name, dockerName: dockerName, config: spec}
	}
	return secrets, configs, errors.Join(errs...)
}

// objectAnnotations names and labels a secret or config as docker/cli's convert.Secrets and
// convert.Configs do. Those read the object's file themselves, without confinement or cap, so they
// are not used: Load has read it.
func objectAnnotations(ns convert.Namespace, key, name string, labels map[string]string) swarm.Annotations {
	l := maps.Clone(labels)
	if l == nil {
		l = map[string]string{}
	}
	l[convert.LabelNamespace] = ns.Name()
	return swarm.Annotations{Name: cmp.Or(name, ns.Scope(key)), Labels: l}
}

// contentHash is the hex SHA-256 of what makes a secret or config: its data and drivers.
func contentHash(kind string, data []byte, driver, templating *swarm.Driver) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00", kind, len(data))
	h.Write(data)
	for _, d := range []*swarm.Driver{driver, templating} {
		if d == nil {
			h.Write([]byte{0})
			continue
		}
		fmt.Fprintf(h, "\x01%s", d.Name)
		for _, k := range slices.Sorted(maps.Keys(d.Options)) {
			fmt.Fprintf(h, "\x00%s=%s", k, d.Options[k])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
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
			if err != nil {
				return fmt.Errorf("failed to list secrets: %w", err)
			}
			for _, s := range res.Items {
				secretIDs[s.Spec.Name] = s.ID
			}
			return nil
		})
	}
	if len(configs) > 0 {
		g.Go(func() error {
			res, err := c.ConfigList(ctx, client.ConfigListOptions{})
			if err != nil {
				return fmt.Errorf("failed to list configs: %w", err)
			}
			for _, s := range res.Items {
				configIDs[s.Spec.Name] = s.ID
			}
			return nil
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
			o.id = objs.ids[o.name]
			if o.id == "" && o.external {
				errs = append(errs, fmt.Errorf("%s %q is declared external but does not exist: create it first with `docker %s create %s -`", o.kind, o.name, o.kind, o.name))
			}
		}
	}
	return errors.Join(errs...)
}

// createObjects creates the missing secrets and configs.
func createObjects(ctx context.Context, c Client, missing []*fileObject) error {
	return parallel(ctx, len(missing), maxParallel, func(ctx context.Context, i int) error {
		o := missing[i]
		var err error
		if o.kind == kindSecret {
			var res client.SecretCreateResult
			res, err = c.SecretCreate(ctx, client.SecretCreateOptions{Spec: o.secret})
			o.id = res.ID
		} else {
			var res client.ConfigCreateResult
			res, err = c.ConfigCreate(ctx, client.ConfigCreateOptions{Spec: o.config})
			o.id = res.ID
		}
		if err != nil {
			return fmt.Errorf("failed to create %s %s: %w", o.kind, o.name, err)
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
			return nil, fmt.Errorf("duplicate %s target for %s not allowed", kind, o.name)
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
	slices.SortStableFunc(resolved, func(a, b fileRef) int { return cmp.Compare(a.obj.dockerName, b.obj.dockerName) })
	refs := make([]*swarm.SecretReference, 0, len(resolved))
	for _, r := range resolved {
		refs = append(refs, &swarm.SecretReference{File: &r.file, SecretID: r.obj.id, SecretName: r.obj.name})
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
	slices.SortStableFunc(resolved, func(a, b fileRef) int { return cmp.Compare(a.obj.dockerName, b.obj.dockerName) })
	refs := make([]*swarm.ConfigReference, 0, len(resolved))
	for _, r := range resolved {
		ref := &swarm.ConfigReference{ConfigID: r.obj.id, ConfigName: r.obj.name}
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
