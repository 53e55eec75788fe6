package swarm

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/client"
)

const twoServices = `
version: "3.9"
services:
  web:
    image: twittix-test/app:v1
    deploy:
      endpoint_mode: dnsrr
      update_config: {monitor: 500ms}
  worker:
    image: twittix-test/app:v1
    deploy:
      endpoint_mode: dnsrr
      update_config: {monitor: 500ms}
`

func TestPrune(t *testing.T) {
	e := newEnv(t, "prune")
	e.mustDeploy(e.options(e.write("both.yml", twoServices)))
	webOnly := e.write("web.yml", twoServices[:strings.Index(twoServices, "  worker:")])

	res := e.mustDeploy(e.options(webOnly))
	if got, want := e.services(), []string{e.stack + "_web", e.stack + "_worker"}; !cmp.Equal(got, want) {
		t.Errorf("without prune: services = %v, want %v", got, want)
	}
	if len(res.Changed) != 0 {
		t.Errorf("without prune: changed = %v, want nothing", res.Changed)
	}

	o := e.options(webOnly)
	o.Prune = true
	res = e.mustDeploy(o)
	if got, want := e.services(), []string{e.stack + "_web"}; !cmp.Equal(got, want) {
		t.Errorf("with prune: services = %v, want %v", got, want)
	}
	if got, want := res.Changed, []string{e.stack + "_worker"}; !cmp.Equal(got, want) {
		t.Errorf("with prune: changed = %v, want %v", got, want)
	}
	i := slices.IndexFunc(res.Services, func(s ServiceResult) bool { return s.Name == e.stack+"_worker" })
	if i < 0 || res.Services[i].State != StatePruned {
		t.Errorf("result services = %+v, want worker %q", res.Services, StatePruned)
	}
}

func TestSecretRotation(t *testing.T) {
	e := newEnv(t, "rotate")
	const compose = `
version: "3.9"
services:
  web:
    image: twittix-test/app:v1
    secrets:
      - source: api_key
        target: api.key
    configs:
      - source: settings
        target: /etc/settings.ini
    deploy:
      endpoint_mode: dnsrr
      update_config: {monitor: 500ms, order: start-first}
secrets:
  api_key:
    file: ./api_key.txt
configs:
  settings:
    file: ./settings.ini
`
	e.write("api_key.txt", "key-one")
	e.write("settings.ini", "a=1\n")
	path := e.write("compose.yml", compose)
	e.mustDeploy(e.options(path))
	first := e.service("web").Spec.TaskTemplate.ContainerSpec

	e.write("api_key.txt", "key-two")
	res := e.mustDeploy(e.options(path))

	second := e.service("web").Spec.TaskTemplate.ContainerSpec
	if second.Secrets[0].SecretName == first.Secrets[0].SecretName {
		t.Fatalf("secret name stayed %s after its content changed", first.Secrets[0].SecretName)
	}
	if !strings.HasPrefix(second.Secrets[0].SecretName, e.stack+"_api_key-") || second.Secrets[0].File.Name != "api.key" {
		t.Errorf("new secret reference = %+v, want %s_api_key-<hash> as api.key", second.Secrets[0], e.stack)
	}
	if second.Configs[0].ConfigName != first.Configs[0].ConfigName {
		t.Errorf("config renamed from %s to %s although it did not change", first.Configs[0].ConfigName, second.Configs[0].ConfigName)
	}
	secrets, err := e.c.SecretList(t.Context(), client.SecretListOptions{Filters: stackFilter(e.stack)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range secrets.Items {
		names = append(names, s.Spec.Name)
	}
	if want := []string{second.Secrets[0].SecretName}; !cmp.Equal(names, want) {
		t.Errorf("stack secrets = %v, want only %v (the old one removed)", names, want)
	}
	if want := []string{first.Secrets[0].SecretName}; !cmp.Equal(res.RemovedObjects, want) {
		t.Errorf("removed objects = %v, want %v", res.RemovedObjects, want)
	}
	if want := []string{second.Secrets[0].SecretName}; !cmp.Equal(res.Secrets, want) {
		t.Errorf("created secrets = %v, want %v", res.Secrets, want)
	}
	for _, want := range []string{
		"Created secret " + second.Secrets[0].SecretName + " (api_key)\n",
		"Created config " + first.Configs[0].ConfigName + " (settings)\n",
	} {
		if !strings.Contains(e.out.String(), want) {
			t.Errorf("the log does not say %q:\n%s", want, e.out.String())
		}
	}
	if strings.Contains(e.out.String(), "key-two") || strings.Contains(e.out.String(), "key-one") {
		t.Errorf("secret content leaked into the output")
	}
}

func TestTwoComposeFilesMerged(t *testing.T) {
	e := newEnv(t, "merge")
	base := e.write("base.yml", `
version: "3.9"
services:
  web:
    image: twittix-test/app:v1
    environment:
      LOG_LEVEL: info
      REGION: eu
    deploy:
      endpoint_mode: dnsrr
      replicas: 1
      labels: {tier: front}
`)
	override := e.write("prod.yml", `
version: "3.9"
services:
  web:
    image: twittix-test/app:v2
    environment:
      LOG_LEVEL: warn
    deploy:
      replicas: 2
      update_config: {monitor: 500ms}
`)
	e.mustDeploy(e.options(base, override))

	spec := e.service("web").Spec
	if got := spec.TaskTemplate.ContainerSpec.Image; got != "twittix-test/app:v2" {
		t.Errorf("image = %q, want the override's", got)
	}
	if got, want := sortedStrings(spec.TaskTemplate.ContainerSpec.Env), []string{"LOG_LEVEL=warn", "REGION=eu"}; !cmp.Equal(got, want) {
		t.Errorf("env = %v, want %v", got, want)
	}
	if got := *spec.Mode.Replicated.Replicas; got != 2 {
		t.Errorf("replicas = %d, want 2", got)
	}
	if spec.Labels["tier"] != "front" || spec.UpdateConfig == nil || spec.UpdateConfig.Monitor.String() != "500ms" {
		t.Errorf("labels = %v, update config = %+v; want both files' settings", spec.Labels, spec.UpdateConfig)
	}
	if got := e.runningImages("web"); !cmp.Equal(got, []string{"twittix-test/app:v2", "twittix-test/app:v2"}) {
		t.Errorf("running = %v, want two v2 tasks", got)
	}
}

func TestEnvFileInterpolation(t *testing.T) {
	e := newEnv(t, "envfile")
	envFile := e.write("deploy.env", "# deploy variables\nTAG=v2\nREPLICAS=2\nGREETING=from-file\n")
	e.write("service.env", "FROM_SERVICE_FILE=yes\nPRICE=$5\n")
	compose := e.write("compose.yml", `
version: "3.9"
services:
  web:
    image: twittix-test/app:${TAG}
    env_file: ./service.env
    environment:
      GREETING: ${GREETING}
      MISSING: ${NOT_SET:-default}
    deploy:
      endpoint_mode: dnsrr
      replicas: ${REPLICAS}
      update_config: {monitor: 500ms}
`)
	o := e.options(compose)
	o.EnvFiles = []string{envFile}
	o.Env = map[string]string{"GREETING": "from-input"}
	e.mustDeploy(o)

	spec := e.service("web").Spec
	if got := spec.TaskTemplate.ContainerSpec.Image; got != "twittix-test/app:v2" {
		t.Errorf("image = %q, want TAG from the env file", got)
	}
	if got := *spec.Mode.Replicated.Replicas; got != 2 {
		t.Errorf("replicas = %d, want REPLICAS from the env file", got)
	}
	want := []string{"FROM_SERVICE_FILE=yes", "GREETING=from-input", "MISSING=default", "PRICE=$5"}
	if got := sortedStrings(spec.TaskTemplate.ContainerSpec.Env); !cmp.Equal(got, want) {
		t.Errorf("env = %v, want %v", got, want)
	}
}
