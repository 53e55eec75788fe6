package swarm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

func TestTimeoutRemovesTheNewService(t *testing.T) {
	e := newEnv(t, "timeout")
	compose := e.write("compose.yml", `
version: "3.9"
services:
  web:
    image: twittix-test/app:v1
    deploy:
      endpoint_mode: dnsrr
      placement:
        constraints: ["node.labels.twittix-test-nowhere == true"]
`)
	o := e.options(compose)
	o.Timeout = 2 * time.Second
	start := time.Now()
	res, err := e.deploy(t.Context(), o)

	if err == nil {
		t.Fatal("Deploy succeeded, want a timeout")
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("Deploy took %s with a 2s timeout", took)
	}
	if len(res.Failures) != 1 || !strings.Contains(res.Failures[0].Reason, "timed out after 2s") ||
		!strings.Contains(res.Failures[0].Reason, "no suitable node") {
		t.Errorf("failures = %+v, want a timeout naming the scheduling error", res.Failures)
	}
	if len(res.Failures) == 1 && len(res.Failures[0].Logs) != 0 {
		t.Errorf("logs = %q, want none: the task never ran", res.Failures[0].Logs)
	}
	if want := "_web: 0/1 running, starting tasks, pending: no suitable node"; !strings.Contains(e.out.String(), want) {
		t.Errorf("no progress line says why the task is pending (%q) in:\n%s", want, e.out.String())
	}
	if got := e.services(); len(got) != 0 {
		t.Errorf("services after the rollback = %v, want the new service removed", got)
	}
	if got := res.Services[0].State; got != StateRemovedNew {
		t.Errorf("state = %q, want %q", got, StateRemovedNew)
	}
}

func TestCrashingTasksFailWithoutRollback(t *testing.T) {
	e := newEnv(t, "crash")
	compose := e.write("compose.yml", `
version: "3.9"
services:
  web:
    image: twittix-test/app:v1
    environment:
      FAIL_START: "1"
    deploy:
      endpoint_mode: dnsrr
      restart_policy:
        delay: 100ms
`)
	o := e.options(compose)
	o.RollbackOnFailure = false
	res, err := e.deploy(t.Context(), o)

	var de *DeployError
	if !errors.As(err, &de) {
		t.Fatalf("Deploy error = %v, want a *DeployError", err)
	}
	f := res.Failures[0]
	if !strings.Contains(f.Reason, "tasks failed since the deploy started") || !strings.Contains(f.Reason, "exit code 2") {
		t.Errorf("reason = %q, want failing tasks with their exit code", f.Reason)
	}
	if !strings.Contains(strings.Join(f.Logs, "\n"), "configured to fail at start") {
		t.Errorf("logs = %q, want the server's fatal line", f.Logs)
	}
	if got := e.services(); len(got) != 1 {
		t.Errorf("services = %v, want the failing service kept (no rollback)", got)
	}
	if res.RolledBack || res.Services[0].State != StateFailed {
		t.Errorf("rolled back = %v, state = %q; want no rollback and %q", res.RolledBack, res.Services[0].State, StateFailed)
	}
}

func TestCancelStopsWaitingAndReleasesTheLock(t *testing.T) {
	e := newEnv(t, "cancel")
	compose := e.write("compose.yml", `
version: "3.9"
services:
  web:
    image: twittix-test/app:v1
    deploy:
      endpoint_mode: dnsrr
      placement:
        constraints: ["node.labels.twittix-test-nowhere == true"]
`)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		// Cancel once the service exists, that is during the wait.
		for ctx.Err() == nil {
			res, err := e.c.ServiceList(ctx, client.ServiceListOptions{Filters: stackFilter(e.stack)})
			if err == nil && len(res.Items) > 0 {
				time.Sleep(500 * time.Millisecond)
				cancel()
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	res, err := e.deploy(ctx, e.options(compose))

	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Deploy error = %v, want context.Canceled", err)
	}
	if lock, err := findConfig(t.Context(), e.c, lockName(e.stack)); err != nil || lock != nil {
		t.Errorf("deploy lock after cancel = %+v (%v), want it released", lock, err)
	}
	if got := e.services(); len(got) != 1 {
		t.Errorf("services = %v, want the service left in place (no rollback on cancel)", got)
	}
	if got := res.Services[0].State; got != StatePending {
		t.Errorf("state = %q, want %q", got, StatePending)
	}
}
