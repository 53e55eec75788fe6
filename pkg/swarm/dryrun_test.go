package swarm

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/client"

	"github.com/twittix/infra/pkg/swarm/specdiff"
)

// swarmState is everything of a stack a dry run must not touch.
type swarmState struct {
	Services map[string]uint64 // name -> version
	Secrets  []string
	Configs  []string
	Networks []string
}

func (e *env) state() swarmState {
	e.t.Helper()
	ctx := e.t.Context()
	st := swarmState{Services: map[string]uint64{}}
	svcs, err := e.c.ServiceList(ctx, client.ServiceListOptions{Filters: stackFilter(e.stack)})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, s := range svcs.Items {
		st.Services[s.Spec.Name] = s.Version.Index
	}
	secrets, err := e.c.SecretList(ctx, client.SecretListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, s := range secrets.Items {
		if strings.HasPrefix(s.Spec.Name, e.stack) {
			st.Secrets = append(st.Secrets, s.Spec.Name)
		}
	}
	configs, err := e.c.ConfigList(ctx, client.ConfigListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, s := range configs.Items {
		if strings.HasPrefix(s.Spec.Name, e.stack) {
			st.Configs = append(st.Configs, s.Spec.Name)
		}
	}
	nets, err := e.c.NetworkList(ctx, client.NetworkListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, n := range nets.Items {
		if strings.HasPrefix(n.Name, e.stack) {
			st.Networks = append(st.Networks, n.Name)
		}
	}
	slices.Sort(st.Secrets)
	slices.Sort(st.Configs)
	slices.Sort(st.Networks)
	return st
}

func TestDryRunChangesNothing(t *testing.T) {
	e := newEnv(t, "dryrun")
	e.write("token.txt", "t1")
	e.mustDeploy(e.options(e.write("v1.yml", `
version: "3.9"
services:
  web:
    image: twittix-test/app:v1
    environment: {A: "1", B: "2"}
    secrets: [token]
    deploy:
      endpoint_mode: dnsrr
      update_config: {monitor: 500ms}
  old:
    image: twittix-test/app:v1
    deploy:
      endpoint_mode: dnsrr
      update_config: {monitor: 500ms}
secrets:
  token:
    file: ./token.txt
`)))
	before := e.state()

	e.write("token.txt", "t2")
	o := e.options(e.write("v2.yml", `
version: "3.9"
services:
  web:
    image: twittix-test/app:v2
    environment: {A: "changed-secret-value", C: "3"}
    secrets: [token]
    ports:
      - {target: 8080, published: 18080, mode: host}
    deploy:
      endpoint_mode: dnsrr
      replicas: 3
      update_config: {monitor: 500ms}
  api:
    image: twittix-test/app:v3
    networks: [back]
    deploy:
      endpoint_mode: dnsrr
networks:
  back: {}
secrets:
  token:
    file: ./token.txt
`))
	o.DryRun = true
	o.Prune = true
	res := e.mustDeploy(o)

	if diff := cmp.Diff(before, e.state()); diff != "" {
		t.Errorf("the dry run changed the swarm (-before +after):\n%s", diff)
	}
	states := map[string]string{}
	for _, s := range res.Services {
		states[strings.TrimPrefix(s.Name, e.stack+"_")] = s.State
	}
	if want := map[string]string{"web": StateWouldUpdate, "api": StateWouldCreate, "old": StateWouldRemove}; !cmp.Equal(states, want) {
		t.Errorf("states = %v, want %v", states, want)
	}
	var web ServiceResult
	for _, s := range res.Services {
		if s.Name == e.stack+"_web" {
			web = s
		}
	}
	fields := map[string]Change{}
	for _, c := range web.Changes {
		fields[c.Field] = c
	}
	checks := []struct{ field, before, after string }{
		{"image", "twittix-test/app:v1", "twittix-test/app:v2"},
		{"replicas", "1", "3"},
		{"ports", "", "18080:8080/tcp (host)"},
	}
	for _, c := range checks {
		if got := fields[c.field]; got.Before != c.before || got.After != c.after {
			t.Errorf("change %s = %q -> %q, want %q -> %q", c.field, got.Before, got.After, c.before, c.after)
		}
	}
	const envSummary = "A changed, C added, B removed (values hidden)"
	if got := fields["env"]; got != (Change{Field: "env", Summary: envSummary}) {
		t.Errorf("env change = %+v, want only the summary %q", got, envSummary)
	}
	for name, text := range map[string]string{"log": e.out.String()} {
		if !strings.Contains(text, "env: "+envSummary) {
			t.Errorf("the %s does not say %q:\n%s", name, envSummary, text)
		}
		if strings.Contains(text, `""`) {
			t.Errorf("the %s shows an empty quoted value:\n%s", name, text)
		}
	}
	if !strings.Contains(e.out.String(), `ports: (none) -> "18080:8080/tcp (host)"`) {
		t.Errorf("the log does not show the new port as added:\n%s", e.out.String())
	}
	if got := fields["secrets"]; !strings.Contains(got.Before, e.stack+"_token-") || got.Before == got.After {
		t.Errorf("secrets change = %+v, want the rotated token", got)
	}
	if want := []string{e.stack + "_back"}; !cmp.Equal(res.Networks, want) {
		t.Errorf("networks to create = %v, want %v", res.Networks, want)
	}
	if len(res.Secrets) != 1 {
		t.Fatalf("secrets to create = %v, want the new token", res.Secrets)
	}
	if want := "would create secret " + res.Secrets[0] + " (token)\n"; !strings.Contains(e.out.String(), want) {
		t.Errorf("the log does not say %q:\n%s", want, e.out.String())
	}
	if strings.Contains(e.out.String(), "changed-secret-value") || strings.Contains(resultJSON(t, res), "changed-secret-value") {
		t.Errorf("an environment value appears in the dry run's output")
	}
}

// TestDryRunHidesSecretVariables checks a secret variable interpolated into any field (a
// healthcheck, a command, an entrypoint, labels, a config's template) never shows in a dry run's
// log or summary, while the other changes still do.
func TestDryRunHidesSecretVariables(t *testing.T) {
	e := newEnv(t, "drysecret")
	e.write("motd.tmpl", "motd\n")
	e.mustDeploy(e.options(e.write("v1.yml", `
version: "3.9"
services:
  web:
    image: twittix-test/app:v1
    deploy:
      endpoint_mode: dnsrr
      update_config: {monitor: 500ms}
`)))
	const token = "tok-9f8e7d6c5b4a"
	e.write("motd.tmpl", "motd {{ env \"TOKEN\" }} ${TOKEN}\n")
	o := e.options(e.write("v2.yml", `
version: "3.9"
services:
  web:
    image: twittix-test/app:v2
    entrypoint: ["/app", "--token=${TOKEN}"]
    command: ["-check", "${TOKEN}"]
    healthcheck:
      test: ["CMD", "/app", "-check", "-token", "${TOKEN}"]
      interval: 1s
    labels:
      auth: "Bearer ${TOKEN}"
    configs:
      - source: motd
        target: /motd
    deploy:
      endpoint_mode: dnsrr
      labels:
        token: "${TOKEN}"
      update_config: {monitor: 500ms}
configs:
  motd:
    file: ./motd.tmpl
    template_driver: golang
`))
	o.SecretEnv = map[string]string{"TOKEN": token}
	o.DryRun = true
	res := e.mustDeploy(o)

	if len(res.Services) != 1 || len(res.Services[0].Changes) == 0 {
		t.Fatalf("services = %+v, want web with changes", res.Services)
	}
	hidden := map[string]bool{}
	for _, c := range res.Services[0].Changes {
		if c.Summary == specdiff.HiddenSecret {
			hidden[c.Field] = true
		}
		if c.Field == "image" && c.After != "twittix-test/app:v2" {
			t.Errorf("image change = %+v, want it shown", c)
		}
	}
	for _, f := range []string{"command", "healthcheck", "labels", "container_labels"} {
		if !hidden[f] {
			t.Errorf("change of %s is not hidden: %+v", f, res.Services[0].Changes)
		}
	}
	for name, text := range map[string]string{"log": e.out.String(), "result": resultJSON(t, res)} {
		if strings.Contains(text, token) || strings.Contains(text, "9f8e7d6c5b4a") {
			t.Errorf("the %s shows the secret:\n%s", name, text)
		}
		if !strings.Contains(text, "twittix-test/app:v2") {
			t.Errorf("the %s does not show the image change:\n%s", name, text)
		}
	}
}
