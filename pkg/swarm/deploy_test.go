package swarm

import (
	"strings"
	"testing"

	"github.com/docker/cli/cli/compose/convert"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/client"
)

// webCompose is a one-service stack; {{IMAGE}} is replaced by the test.
const webCompose = `
version: "3.9"
services:
  web:
    image: {{IMAGE}}
    stop_grace_period: 2s
    healthcheck:
      test: ["CMD", "/app", "-check"]
      interval: 500ms
      timeout: 5s # a loaded machine can take over 1s to exec the probe; a timeout hides its output
      retries: 2
    deploy:
      endpoint_mode: dnsrr
      replicas: 1
      update_config:
        monitor: 1s
        order: start-first
`

func TestFirstDeploy(t *testing.T) {
	e := newEnv(t, "first")
	e.write("db_password.txt", "s3cret-password\n")
	e.write("nginx.conf", "server {}\n")
	compose := e.write("compose.yml", `
version: "3.9"
services:
  web:
    image: twittix-test/app:v1
    environment:
      GREETING: hello
    secrets:
      - source: db_password
        target: db.txt
    configs:
      - nginx_conf
    labels:
      team: web
    deploy:
      endpoint_mode: dnsrr
      replicas: 2
      labels:
        tier: front
      restart_policy:
        delay: 1s
      update_config:
        monitor: 1s
  worker:
    image: twittix-test/app:v2
    networks: [back]
    deploy:
      endpoint_mode: dnsrr
networks:
  back:
    driver: overlay
secrets:
  db_password:
    file: ./db_password.txt
configs:
  nginx_conf:
    file: ./nginx.conf
`)
	res := e.mustDeploy(e.options(compose))

	if got, want := e.services(), []string{e.stack + "_web", e.stack + "_worker"}; !cmp.Equal(got, want) {
		t.Errorf("services = %v, want %v", got, want)
	}
	web := e.service("web")
	labels := web.Spec.Labels
	if labels[convert.LabelNamespace] != e.stack || labels[convert.LabelImage] != "twittix-test/app:v1" || labels["tier"] != "front" {
		t.Errorf("web labels = %v, want the stack, image and deploy labels", labels)
	}
	if got := e.runningImages("web"); !cmp.Equal(got, []string{"twittix-test/app:v1", "twittix-test/app:v1"}) {
		t.Errorf("web running images = %v, want two tasks of v1", got)
	}
	cs := web.Spec.TaskTemplate.ContainerSpec
	if len(cs.Secrets) != 1 || cs.Secrets[0].File.Name != "db.txt" || !strings.HasPrefix(cs.Secrets[0].SecretName, e.stack+"_db_password-") {
		t.Errorf("web secrets = %+v, want %s_db_password-<hash> as db.txt", cs.Secrets, e.stack)
	}
	if len(cs.Configs) != 1 || cs.Configs[0].File.Name != "nginx_conf" || !strings.HasPrefix(cs.Configs[0].ConfigName, e.stack+"_nginx_conf-") {
		t.Errorf("web configs = %+v, want %s_nginx_conf-<hash> as nginx_conf", cs.Configs, e.stack)
	}

	nets, err := e.c.NetworkList(t.Context(), client.NetworkListOptions{Filters: stackFilter(e.stack)})
	if err != nil {
		t.Fatal(err)
	}
	var netNames []string
	for _, n := range nets.Items {
		netNames = append(netNames, n.Name+"/"+n.Driver+"/"+n.Scope)
	}
	if want := []string{e.stack + "_back/overlay/swarm", e.stack + "_default/overlay/swarm"}; !cmp.Equal(sortedStrings(netNames), want) {
		t.Errorf("stack networks = %v, want %v", sortedStrings(netNames), want)
	}
	secrets, err := e.c.SecretList(t.Context(), client.SecretListOptions{Filters: stackFilter(e.stack)})
	if err != nil {
		t.Fatal(err)
	}
	if len(secrets.Items) != 1 || secrets.Items[0].Spec.Name != cs.Secrets[0].SecretName {
		t.Errorf("stack secrets = %+v, want the one web uses", secrets.Items)
	}

	wantResult := []ServiceOutput{
		{Name: e.stack + "_web", Image: "twittix-test/app:v1", Replicas: "2/2", State: StateCreated},
		{Name: e.stack + "_worker", Image: "twittix-test/app:v2", Replicas: "1/1", State: StateCreated},
	}
	var gotResult []ServiceOutput
	for _, s := range res.Services {
		gotResult = append(gotResult, ServiceOutput{s.Name, s.Image, s.Replicas(), s.State})
	}
	if diff := cmp.Diff(wantResult, gotResult); diff != "" {
		t.Errorf("result services (-want +got):\n%s", diff)
	}
	if got, want := res.Changed, []string{e.stack + "_web", e.stack + "_worker"}; !cmp.Equal(got, want) {
		t.Errorf("changed = %v, want %v", got, want)
	}

	// The same files again change nothing: no service version moves.
	before := web.Version.Index
	res = e.mustDeploy(e.options(compose))
	if got := e.service("web").Version.Index; got != before {
		t.Errorf("web version moved from %d to %d on an identical deploy", before, got)
	}
	if len(res.Changed) != 0 {
		t.Errorf("second deploy changed %v, want nothing", res.Changed)
	}
	if strings.Contains(e.out.String(), "s3cret-password") {
		t.Errorf("the secret's content appears in the output")
	}
}
