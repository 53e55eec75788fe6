package swarm

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker/cli/cli/compose/convert"
	composetypes "github.com/docker/cli/cli/compose/types"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/swarm"

	"github.com/twittix/infra/pkg/swarm/stackfile"
)

// TestInputErrorTouchesNothing: a service that names an undefined secret, or an external secret
// that does not exist, is an input error, found before any network, secret or config is created.
func TestInputErrorTouchesNothing(t *testing.T) {
	e := newEnv(t, "badref")
	e.write("token.txt", "t1")
	const compose = `
version: "3.9"
services:
  web:
    image: twittix-test/app:v1
    networks: [{{NET}}]
    secrets: [token, {{OTHER}}]
    deploy:
      endpoint_mode: dnsrr
networks:
  {{NET}}: {}
secrets:
  token:
    file: ./token.txt
`
	tests := []struct{ name, other, want string }{
		{"undefined", "nope", `undefined secret "nope"`},
		{"external", "outside\n  outside:\n    external: true", `secret "outside" is declared external but does not exist`},
	}
	for _, tc := range tests {
		before := e.state()
		// The secrets key ends the file: the external secret's lines go there.
		text := strings.NewReplacer("{{OTHER}}", strings.SplitN(tc.other, "\n", 2)[0], "{{NET}}", tc.name).Replace(compose)
		if _, extra, ok := strings.Cut(tc.other, "\n"); ok {
			text += extra + "\n"
		}
		_, err := e.deploy(t.Context(), e.options(e.write(tc.name+".yml", text)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: Deploy error = %v, want %q", tc.name, err, tc.want)
		}
		if diff := cmp.Diff(before, e.state()); diff != "" {
			t.Errorf("%s: a deploy with an input error changed the swarm (-before +after):\n%s", tc.name, diff)
		}
	}
}

func TestServiceRefs(t *testing.T) {
	t.Parallel()
	mode := uint32(0o400)
	objs := map[string]*fileObject{
		"key": {Object: stackfile.Object{Kind: kindSecret, Name: "s_key-1234abcd"}, id: "id-key"},
		"ini": {Object: stackfile.Object{Kind: kindConfig, Name: "s_ini-5678abcd"}, id: "id-ini"},
	}
	svc := composetypes.ServiceConfig{
		Secrets: []composetypes.ServiceSecretConfig{{Source: "key", Target: "api.key", UID: "100", Mode: &mode}},
		Configs: []composetypes.ServiceConfigObjConfig{{Source: "ini"}},
	}
	secrets, err := secretRefs(svc, objs)
	if err != nil {
		t.Fatal(err)
	}
	wantSecret := []*swarm.SecretReference{{SecretID: "id-key", SecretName: "s_key-1234abcd",
		File: &swarm.SecretReferenceFileTarget{Name: "api.key", UID: "100", GID: "0", Mode: 0o400}}}
	if diff := cmp.Diff(wantSecret, secrets); diff != "" {
		t.Errorf("secret refs (-want +got):\n%s", diff)
	}
	configs, err := configRefs(svc, objs)
	if err != nil {
		t.Fatal(err)
	}
	wantConfig := []*swarm.ConfigReference{{ConfigID: "id-ini", ConfigName: "s_ini-5678abcd",
		File: &swarm.ConfigReferenceFileTarget{Name: "ini", UID: "0", GID: "0", Mode: 0o444}}}
	if diff := cmp.Diff(wantConfig, configs); diff != "" {
		t.Errorf("config refs (-want +got):\n%s", diff)
	}

	svc.Configs = append(svc.Configs, composetypes.ServiceConfigObjConfig{Source: "ini"})
	if _, err := configRefs(svc, objs); err == nil || err.Error() != "duplicate config target for s_ini-5678abcd not allowed" {
		t.Errorf("two references to one target: error = %v", err)
	}
	svc.Secrets = append(svc.Secrets, composetypes.ServiceSecretConfig{Source: "nope"})
	if _, err := secretRefs(svc, objs); err == nil || !strings.Contains(err.Error(), `undefined secret "nope"`) {
		t.Errorf("an undefined secret: error = %v", err)
	}
}

// TestPlanOnlyReads: the plan of a deploy that creates a network, a secret and a service and
// updates another one computes all of that, with the diff of the update, and writes nothing to the
// swarm; the new secret's ID is left for apply to fill in.
func TestPlanOnlyReads(t *testing.T) {
	e := newEnv(t, "planread")
	e.mustDeploy(e.options(e.write("v1.yml", oneWeb)))
	e.write("token.txt", "t1")
	next, err := os.ReadFile(filepath.Join("testdata", "plan", "next.yml"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := e.options(e.write("next.yml", string(next))).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	project, err := stackfile.Load(o.LoadOptions)
	if err != nil {
		t.Fatal(err)
	}
	r := &run{c: e.c, log: e.log, opts: o, ns: convert.NewNamespace(e.stack)}
	if err := r.checkManager(t.Context()); err != nil {
		t.Fatal(err)
	}
	before := e.state()
	p, err := r.plan(t.Context(), project)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, e.state()); diff != "" {
		t.Errorf("computing the plan changed the swarm (-before +after):\n%s", diff)
	}

	var networks, objects []string
	for _, n := range p.networks {
		networks = append(networks, n.name)
	}
	for _, o := range p.newObjects() {
		objects = append(objects, o.Kind+" "+o.Key)
	}
	if diff := cmp.Diff([]string{e.stack + "_back"}, networks); diff != "" {
		t.Errorf("networks to create (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"secret token"}, objects); diff != "" {
		t.Errorf("objects to create (-want +got):\n%s", diff)
	}
	if len(p.services) != 2 || p.services[0].name != e.stack+"_api" || p.services[1].name != e.stack+"_web" {
		t.Fatalf("services = %+v, want api and web", p.services)
	}
	api, web := p.services[0], p.services[1]
	if api.existing != nil || !api.changed() {
		t.Errorf("api: existing = %v, want a service to create", api.existing)
	}
	var fields []string
	for _, c := range web.changes {
		fields = append(fields, c.Field)
	}
	for _, want := range []string{"image", "secrets", "networks"} {
		if !slices.Contains(fields, want) {
			t.Errorf("web changes %v lack %s", fields, want)
		}
	}
	if refs := web.spec.TaskTemplate.ContainerSpec.Secrets; len(refs) != 1 || refs[0].SecretID != "" {
		t.Errorf("web's secret references = %+v, want the new secret's without an ID yet", refs)
	}
}

// TestFillObjectIDs: the services are converted before the objects have IDs; once known, the IDs
// go into the references, and into a credential spec, which convert names by its config's ID.
func TestFillObjectIDs(t *testing.T) {
	t.Parallel()
	cfg := &composetypes.Config{Services: []composetypes.ServiceConfig{{
		Name: "web", Image: "app:v1",
		Secrets:        []composetypes.ServiceSecretConfig{{Source: "key"}},
		CredentialSpec: composetypes.CredentialSpecConfig{Config: "cred"},
	}}}
	p := &plan{
		secrets: map[string]*fileObject{"key": {Object: stackfile.Object{Kind: kindSecret, Key: "key", Name: "s_key-1234abcd"}}},
		configs: map[string]*fileObject{"cred": {Object: stackfile.Object{Kind: kindConfig, Key: "cred", Name: "s_cred-5678abcd"}}},
	}
	var err error
	if p.services, err = planServices(convert.NewNamespace("s"), cfg, p.secrets, p.configs, nil, false); err != nil {
		t.Fatal(err)
	}
	p.secrets["key"].id, p.configs["cred"].id = "secret-id", "config-id"
	p.fillObjectIDs()

	cs := p.services[0].spec.TaskTemplate.ContainerSpec
	if len(cs.Secrets) != 1 || cs.Secrets[0].SecretID != "secret-id" {
		t.Errorf("secret references = %+v, want the secret's ID", cs.Secrets)
	}
	if len(cs.Configs) != 1 || cs.Configs[0].ConfigID != "config-id" || cs.Configs[0].Runtime == nil {
		t.Errorf("config references = %+v, want the runtime reference with the config's ID", cs.Configs)
	}
	if cs.Privileges == nil || cs.Privileges.CredentialSpec == nil || cs.Privileges.CredentialSpec.Config != "config-id" {
		t.Errorf("privileges = %+v, want the credential spec naming the config's ID", cs.Privileges)
	}
}
