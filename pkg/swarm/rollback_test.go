package swarm

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/client"
)

// TestRollbackGoesOnWhenOneServiceCannotBeRolledBack: a service whose rollback is refused is
// reported as such, and the other services are still rolled back and waited for.
func TestRollbackGoesOnWhenOneServiceCannotBeRolledBack(t *testing.T) {
	e := newEnv(t, "rbpart")
	const compose = `
version: "3.9"
services:
  web:
    image: twittix-test/app:{{TAG}}
    deploy:
      endpoint_mode: dnsrr
      update_config: {monitor: 500ms, order: start-first}
  api:
    image: twittix-test/app:{{TAG}}
    environment:
      FAIL_START: "{{FAIL}}"
    deploy:
      endpoint_mode: dnsrr
      restart_policy: {delay: 100ms}
      # 3s: the crash must reach Swarm within the monitor window, even on a loaded machine.
      update_config: {monitor: 3s, order: start-first}
      rollback_config: {monitor: 500ms}
`
	release := func(tag, fail string) string {
		return e.write(tag+".yml", strings.NewReplacer("{{TAG}}", tag, "{{FAIL}}", fail).Replace(compose))
	}
	e.mustDeploy(e.options(release("v1", "0")))

	c := &faultyClient{Client: e.c}
	c.serviceUpdate = func(ctx context.Context, id string, opts client.ServiceUpdateOptions) (client.ServiceUpdateResult, error) {
		if opts.Spec.Name == e.stack+"_web" && opts.Rollback == "previous" {
			return client.ServiceUpdateResult{}, errors.New("rpc error: code = Unavailable desc = the manager is gone")
		}
		return e.c.ServiceUpdate(ctx, id, opts)
	}
	res, err := Deploy(t.Context(), c, e.log, e.options(release("v2", "1")))
	if err == nil {
		t.Fatal("Deploy succeeded, want the api failure")
	}

	states := map[string]string{}
	for _, s := range res.Services {
		states[strings.TrimPrefix(s.Name, e.stack+"_")] = s.State
	}
	if want := map[string]string{"web": StateRollbackFailed, "api": StateRolledBack}; !cmp.Equal(states, want) {
		t.Errorf("states = %v, want %v", states, want)
	}
	if got := e.runningImages("api"); !cmp.Equal(got, []string{"twittix-test/app:v1"}) {
		t.Errorf("api running images = %v, want v1: its rollback must be waited for", got)
	}
	var webFailure string
	for _, f := range res.Failures {
		if f.Service == e.stack+"_web" {
			webFailure = f.Reason
		}
	}
	if !strings.Contains(webFailure, "the manager is gone") {
		t.Errorf("failures = %+v, want web's refused rollback", res.Failures)
	}
}

// TestRollbackRereadsAServiceSwarmMovedOn: Swarm moves a service's version on by itself while an
// update progresses, so the version a rollback carries can be stale. The daemon then refuses it
// ("update out of sequence"); the rollback reads the service again and is written anew.
func TestRollbackRereadsAServiceSwarmMovedOn(t *testing.T) {
	e := newEnv(t, "rbseq")
	const compose = `
version: "3.9"
services:
  web:
    image: twittix-test/app:{{TAG}}
    deploy:
      endpoint_mode: dnsrr
      update_config: {monitor: 500ms, order: start-first}
      rollback_config: {monitor: 500ms, order: start-first}
  api:
    image: twittix-test/app:{{TAG}}
    environment:
      FAIL_START: "{{FAIL}}"
    deploy:
      endpoint_mode: dnsrr
      restart_policy: {delay: 100ms}
      # 3s: the crash must reach Swarm within the monitor window, even on a loaded machine.
      update_config: {monitor: 3s, order: start-first}
      rollback_config: {monitor: 500ms}
`
	release := func(tag, fail string) string {
		return e.write(tag+".yml", strings.NewReplacer("{{TAG}}", tag, "{{FAIL}}", fail).Replace(compose))
	}
	e.mustDeploy(e.options(release("v1", "0")))

	var stale, refused atomic.Int32
	c := &faultyClient{Client: e.c}
	c.serviceUpdate = func(ctx context.Context, id string, opts client.ServiceUpdateOptions) (client.ServiceUpdateResult, error) {
		if opts.Spec.Name == e.stack+"_web" && opts.Rollback == "previous" && stale.Add(1) == 1 {
			opts.Version.Index-- // as read before Swarm stored its update's progress
		}
		res, err := e.c.ServiceUpdate(ctx, id, opts)
		if err != nil && strings.Contains(err.Error(), "update out of sequence") {
			refused.Add(1)
		}
		return res, err
	}
	res, err := Deploy(t.Context(), c, e.log, e.options(release("v2", "1")))
	if err == nil {
		t.Fatal("Deploy succeeded, want the api failure")
	}
	if refused.Load() != 1 {
		t.Fatalf("the daemon refused %d stale rollbacks, want 1: the test did not reproduce the stale version", refused.Load())
	}
	states := map[string]string{}
	for _, s := range res.Services {
		states[strings.TrimPrefix(s.Name, e.stack+"_")] = s.State
	}
	if want := map[string]string{"web": StateRolledBack, "api": StateRolledBack}; !cmp.Equal(states, want) {
		t.Errorf("states = %v, want %v; failures: %+v", states, want, res.Failures)
	}
	if got := e.runningImages("web"); !cmp.Equal(got, []string{"twittix-test/app:v1"}) {
		t.Errorf("web running images = %v, want v1 after its rollback was written again", got)
	}
}
