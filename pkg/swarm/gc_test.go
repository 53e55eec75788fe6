package swarm

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/client"
)

// secretNames returns the names of the stack's secrets, sorted.
func (e *env) secretNames() []string {
	e.t.Helper()
	res, err := e.c.SecretList(e.t.Context(), client.SecretListOptions{Filters: stackFilter(e.stack)})
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, s := range res.Items {
		names = append(names, s.Spec.Name)
	}
	slices.Sort(names)
	return names
}

// TestFailedDeployKeepsThePreviousSecrets: a failed deploy removes only the secrets it created and
// nothing uses; the previous release's secrets stay, for the rollback (ours or a later `docker
// service rollback`) needs them.
func TestFailedDeployKeepsThePreviousSecrets(t *testing.T) {
	e := newEnv(t, "gcfail")
	const compose = `
version: "3.9"
services:
  web:
    image: twittix-test/app:v1
    environment:
      FAIL_START: "{{FAIL}}"
    secrets: [token]
    deploy:
      endpoint_mode: dnsrr
      restart_policy: {delay: 100ms}
      # 3s: the crash must reach Swarm within the monitor window, even on a loaded machine.
      update_config: {monitor: 3s}
secrets:
  token:
    file: ./token.txt
`
	release := func(token, fail string) string {
		e.write("token.txt", token)
		return e.write("compose.yml", strings.ReplaceAll(compose, "{{FAIL}}", fail))
	}
	e.mustDeploy(e.options(release("one", "0")))
	first := e.secretNames()

	// Left failed, without rollback: both secrets are needed, the old one to roll back to.
	o := e.options(release("two", "1"))
	o.RollbackOnFailure = false
	res, err := e.deploy(t.Context(), o)
	if err == nil {
		t.Fatal("Deploy succeeded, want the crash to fail it")
	}
	if len(res.RemovedObjects) != 0 {
		t.Errorf("removed %v after a failed deploy left without rollback, want nothing removed", res.RemovedObjects)
	}
	if got := e.secretNames(); len(got) != 2 || !slices.Contains(got, first[0]) {
		t.Errorf("secrets = %v, want the previous %v and the new one", got, first)
	}

	// Rolled back: the secret of the failed release goes, the previous one stays.
	e.mustDeploy(e.options(release("one", "0")))
	res, err = e.deploy(t.Context(), e.options(release("three", "1")))
	if err == nil || !res.RolledBack {
		t.Fatalf("Deploy = %v, rolled back %v; want a failure rolled back", err, res.RolledBack)
	}
	if got := e.secretNames(); !cmp.Equal(got, first) {
		t.Errorf("secrets after the rollback = %v, want only the previous release's %v", got, first)
	}
}
