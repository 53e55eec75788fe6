package stackfile

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/docker/cli/cli/compose/convert"
	"github.com/moby/moby/api/types/swarm"
)

// Secrets and configs are immutable in Swarm. Each one the files define is named after its
// content, <stack>_<key>-<hash8> (or <name>-<hash8> when the file sets `name:`), so that a change
// creates a new object that the services switch to, while the file a service sees keeps the
// target the compose file asks for (by default the key). Objects of the stack that no service
// uses any more are removed once the deploy is over.

// Kinds of Object.
const (
	KindSecret = "secret"
	KindConfig = "config"
)

// labelContentHash marks the objects named by content.
const labelContentHash = "io.twittix.infra.content-hash"

// Object is a secret or config of the files, converted.
type Object struct {
	Kind string // KindSecret or KindConfig
	Key  string // the compose key
	Name string // the Swarm name
	// DockerName is the name `docker stack deploy` gives the object (<stack>_<key>, or the name
	// the file sets), by which docker orders a service's references to objects of a kind.
	DockerName string
	// External objects must exist already; they have no spec.
	External bool
	Secret   swarm.SecretSpec // for a secret
	Config   swarm.ConfigSpec // for a config
}

// Objects converts the project's secrets and configs, by compose key, and names them by content.
// The content of their files was read, confined and capped, by Load; nothing is read here.
func Objects(ns convert.Namespace, p *Project) (secrets, configs map[string]Object, err error) {
	cfg := p.Config
	secrets, configs = map[string]Object{}, map[string]Object{}
	var errs []error
	for _, key := range slices.Sorted(maps.Keys(cfg.Secrets)) {
		s := cfg.Secrets[key]
		if s.External.External {
			name := cmp.Or(s.Name, key)
			secrets[key] = Object{Kind: KindSecret, Key: key, Name: name, DockerName: name, External: true}
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
		hash := contentHash(KindSecret, spec.Data, spec.Driver, spec.Templating)
		spec.Name = spec.Name + "-" + hash[:8]
		spec.Labels[labelContentHash] = hash
		secrets[key] = Object{Kind: KindSecret, Key: key, Name: spec.Name, DockerName: dockerName, Secret: spec}
	}
	for _, key := range slices.Sorted(maps.Keys(cfg.Configs)) {
		c := cfg.Configs[key]
		if c.External.External {
			name := cmp.Or(c.Name, key)
			configs[key] = Object{Kind: KindConfig, Key: key, Name: name, DockerName: name, External: true}
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
		hash := contentHash(KindConfig, spec.Data, nil, spec.Templating)
		spec.Name = spec.Name + "-" + hash[:8]
		spec.Labels[labelContentHash] = hash
		configs[key] = Object{Kind: KindConfig, Key: key, Name: spec.Name, DockerName: dockerName, Config: spec}
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
