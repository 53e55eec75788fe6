package swarm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/cli/cli/compose/convert"
	composetypes "github.com/docker/cli/cli/compose/types"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/twittix/infra/internal/testenv/dockertest"
	"github.com/twittix/infra/pkg/swarm/stackfile"
)

// Contents whose hashes put the hashed names in the other order than the compose names: the hash
// of tlsContent starts with a hex digit above "2", so "<stack>_tls-2-…" sorts before
// "<stack>_tls-…", where docker has "<stack>_tls" before "<stack>_tls-2".
const (
	tlsContent  = "tls-d"
	tls2Content = "tls-two"
)

// TestServiceRefsInDockerOrder checks that a service's secret and config references are sorted
// as docker/cli's convertServiceSecrets and convertServiceConfigObjs sort them: by the name
// docker gives the object (<stack>_<key>, or the name the file sets), not by our hashed name.
func TestServiceRefsInDockerOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"tls.pem": tlsContent, "tls-2.pem": tls2Content, "named": "n", "tls.conf": tlsContent, "tls-2.conf": tls2Content,
		"compose.yml": `
version: "3.9"
services:
  web: {image: twittix-test/app:v1}
secrets:
  tls: {file: ./tls.pem}
  tls-2: {file: ./tls-2.pem}
  ext: {name: a-shared, external: true}
  named: {name: s_tls-1, file: ./named}
configs:
  tls: {file: ./tls.conf}
  tls-2: {file: ./tls-2.conf}
`} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	project, err := stackfile.Load(stackfile.LoadOptions{Files: []string{filepath.Join(dir, "compose.yml")}})
	if err != nil {
		t.Fatal(err)
	}
	secrets, configs, err := planObjects(convert.NewNamespace("s"), project)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []*fileObject{secrets["tls"], configs["tls"]} {
		if h := strings.TrimPrefix(o.Name, "s_tls-"); h[0] <= '2' {
			t.Fatalf("the %s hash of %q starts with %c: pick a content whose hash starts above 2", o.Kind, tlsContent, h[0])
		}
	}
	svc := composetypes.ServiceConfig{
		Secrets:        []composetypes.ServiceSecretConfig{{Source: "tls-2"}, {Source: "named"}, {Source: "tls"}, {Source: "ext"}},
		Configs:        []composetypes.ServiceConfigObjConfig{{Source: "tls-2"}, {Source: "tls"}},
		CredentialSpec: composetypes.CredentialSpecConfig{Config: "tls"},
	}
	sRefs, err := secretRefs(svc, secrets)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range sRefs {
		got = append(got, r.File.Name)
	}
	// docker: a-shared, s_tls, s_tls-1, s_tls-2.
	if want := []string{"ext", "tls", "named", "tls-2"}; !cmp.Equal(got, want) {
		t.Errorf("secret references (by target) = %v, docker's order is %v", got, want)
	}
	cRefs, err := configRefs(svc, configs)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, r := range cRefs {
		if r.Runtime != nil {
			got = append(got, "runtime")
			continue
		}
		got = append(got, r.File.Name)
	}
	// docker: s_tls (file), s_tls (the credential spec, after the files of its name), s_tls-2.
	if want := []string{"tls", "runtime", "tls-2"}; !cmp.Equal(got, want) {
		t.Errorf("config references (by target) = %v, docker's order is %v", got, want)
	}
	if !strings.HasPrefix(sRefs[1].SecretName, "s_tls-") || strings.HasPrefix(sRefs[1].SecretName, "s_tls-2-") {
		t.Errorf("reference of tls names %s, want s_tls-<hash>", sRefs[1].SecretName)
	}
}

// TestRefsOrderOnSwarm deploys a service with secrets and configs tls and tls-2 on the real
// swarm: ServiceInspect shows the references in docker's order, the order docker/cli's own
// convert code gives against the same daemon, and a redeploy of the unchanged stack changes
// nothing.
func TestRefsOrderOnSwarm(t *testing.T) {
	e := newEnv(t, "order")
	const compose = `
version: "3.9"
services:
  web:
    image: twittix-test/app:v1
    secrets: [tls-2, tls]
    configs: [tls-2, {source: tls, target: /etc/tls.conf}]
    deploy:
      endpoint_mode: dnsrr
      update_config: {monitor: 500ms}
secrets:
  tls: {file: ./tls.pem}
  tls-2: {file: ./tls-2.pem}
configs:
  tls: {file: ./tls.conf}
  tls-2: {file: ./tls-2.conf}
`
	e.write("tls.pem", tlsContent)
	e.write("tls-2.pem", tls2Content)
	e.write("tls.conf", tlsContent)
	e.write("tls-2.conf", tls2Content)
	path := e.write("compose.yml", compose)
	e.mustDeploy(e.options(path))

	project, err := stackfile.Load(stackfile.LoadOptions{Files: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	inspected, err := e.c.ServiceInspect(ctx, e.service("web").ID, client.ServiceInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ours := inspected.Service.Spec.TaskTemplate.ContainerSpec
	// The names as the conversion gives them, hashed by content.
	secrets, configs, err := stackfile.Objects(convert.NewNamespace(e.stack), project)
	if err != nil {
		t.Fatal(err)
	}
	wantSecrets := []string{secrets["tls"].Name, secrets["tls-2"].Name}
	if got := secretNames(ours.Secrets); !cmp.Equal(got, wantSecrets) {
		t.Errorf("ServiceInspect secrets = %v, want %v (tls before tls-2, as docker)", got, wantSecrets)
	}
	wantConfigs := []string{configs["tls"].Name, configs["tls-2"].Name}
	if got := configNames(ours.Configs); !cmp.Equal(got, wantConfigs) {
		t.Errorf("ServiceInspect configs = %v, want %v (tls before tls-2, as docker)", got, wantConfigs)
	}

	// docker/cli's convert, given objects under the names docker uses, against the same daemon.
	labels := map[string]string{dockertest.LabelNamespace: e.stack} // removed with the stack
	for _, key := range []string{"tls", "tls-2"} {
		if _, err := e.c.SecretCreate(ctx, client.SecretCreateOptions{Spec: swarm.SecretSpec{
			Annotations: swarm.Annotations{Name: e.stack + "_" + key, Labels: labels}, Data: []byte(key)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.ConfigCreate(ctx, client.ConfigCreateOptions{Spec: swarm.ConfigSpec{
			Annotations: swarm.Annotations{Name: e.stack + "_" + key, Labels: labels}, Data: []byte(key)}}); err != nil {
			t.Fatal(err)
		}
	}
	specs, err := convert.Services(ctx, convert.NewNamespace(e.stack), project.Config, e.c)
	if err != nil {
		t.Fatal(err)
	}
	docker := specs["web"].TaskTemplate.ContainerSpec
	if got, want := secretTargets(ours.Secrets), secretTargets(docker.Secrets); !cmp.Equal(got, want) {
		t.Errorf("secret targets in ServiceInspect = %v, docker/cli's convert gives %v", got, want)
	}
	if got, want := configTargets(ours.Configs), configTargets(docker.Configs); !cmp.Equal(got, want) {
		t.Errorf("config targets in ServiceInspect = %v, docker/cli's convert gives %v", got, want)
	}

	res := e.mustDeploy(e.options(path))
	if len(res.Changed) != 0 {
		t.Errorf("redeploy of the unchanged stack: changed = %v, want nothing", res.Changed)
	}
	for _, s := range res.Services {
		if s.State != StateUnchanged {
			t.Errorf("redeploy of the unchanged stack: %s is %q, want %q", s.Name, s.State, StateUnchanged)
		}
	}
	after, err := e.c.ServiceInspect(ctx, inspected.Service.ID, client.ServiceInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.Service.Version.Index != inspected.Service.Version.Index {
		t.Errorf("redeploy of the unchanged stack updated the service (version %d to %d)", inspected.Service.Version.Index, after.Service.Version.Index)
	}
}

func secretNames(refs []*swarm.SecretReference) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.SecretName)
	}
	return out
}

func configNames(refs []*swarm.ConfigReference) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.ConfigName)
	}
	return out
}

func secretTargets(refs []*swarm.SecretReference) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.File.Name)
	}
	return out
}

func configTargets(refs []*swarm.ConfigReference) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.File.Name)
	}
	return out
}
