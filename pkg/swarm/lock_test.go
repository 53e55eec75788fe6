package swarm

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// slowCompose takes a few seconds to converge: its task must stay up for the 3s monitor.
const slowCompose = `
version: "3.9"
services:
  web:
    image: twittix-test/app:v1
    deploy:
      endpoint_mode: dnsrr
      update_config: {monitor: 3s}
`

// deployEnd is how a deploy in the background ended, and when.
type deployEnd struct {
	err error
	at  time.Time
}

// startSlowDeploy runs a deploy in the background and returns once it holds the lock.
func (e *env) startSlowDeploy(holder string) <-chan deployEnd {
	e.t.Helper()
	o := e.options(e.write("slow.yml", slowCompose))
	o.Holder = holder
	done := make(chan deployEnd, 1)
	go func() {
		_, err := e.deploy(context.Background(), o)
		done <- deployEnd{err, time.Now()}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if l, err := findConfig(e.t.Context(), e.c, lockName(e.stack)); err == nil && l != nil {
			return done
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatal("the first deploy never took the lock")
	return nil
}

func TestConcurrentDeployIsRefused(t *testing.T) {
	e := newEnv(t, "lockrefuse")
	first := e.startSlowDeploy("run-one")

	o := e.options(e.write("other.yml", slowCompose))
	o.Holder = "run-two"
	_, err := e.deploy(t.Context(), o)

	if !IsLocked(err) {
		t.Fatalf("second deploy error = %v, want a lock error", err)
	}
	if !strings.Contains(err.Error(), "run-one") || !strings.Contains(err.Error(), "docker config rm "+lockName(e.stack)) {
		t.Errorf("lock error %q should name the holder and how to remove a stale lock", err)
	}
	if end := <-first; end.err != nil {
		t.Fatalf("first deploy: %v", end.err)
	}
	if l, _ := findConfig(t.Context(), e.c, lockName(e.stack)); l != nil {
		t.Errorf("lock still held after both runs: %+v", l.Spec.Labels)
	}
}

func TestConcurrentDeployWaits(t *testing.T) {
	e := newEnv(t, "lockwait")
	first := e.startSlowDeploy("run-one")

	o := e.options(e.write("v2.yml", strings.ReplaceAll(slowCompose, "app:v1", "app:v2")))
	o.Holder = "run-two"
	o.LockWait = time.Minute
	res, err := e.deploy(t.Context(), o)
	secondEnd := time.Now()
	if err != nil {
		t.Fatalf("second deploy: %v", err)
	}
	// The first run returns as soon as it released the lock; the second one then still has its
	// whole update to make.
	switch end := <-first; {
	case end.err != nil:
		t.Fatalf("first deploy: %v", end.err)
	case !end.at.Before(secondEnd):
		t.Fatal("the second deploy finished before the first: it did not wait for the lock")
	}
	if !strings.Contains(e.out.String(), "waiting up to") || res.Services[0].State != StateUpdated {
		t.Errorf("second deploy did not wait then update: state %q", res.Services[0].State)
	}
	if got := e.service("web").Spec.TaskTemplate.ContainerSpec.Image; got != "twittix-test/app:v2" {
		t.Errorf("image = %q, want the second run's v2", got)
	}
}

func TestStaleLockIsBroken(t *testing.T) {
	e := newEnv(t, "lockstale")
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	_, err := e.c.ConfigCreate(t.Context(), client.ConfigCreateOptions{Spec: swarm.ConfigSpec{
		Annotations: swarm.Annotations{Name: lockName(e.stack), Labels: map[string]string{
			labelLockStack: e.stack, labelLockHolder: "crashed-run", labelLockAcquired: past, labelLockExpires: past,
		}},
		Data: []byte("{}"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	e.mustDeploy(e.options(e.write("compose.yml", slowCompose)))
	if !strings.Contains(e.out.String(), "breaking the stale deploy lock") || !strings.Contains(e.out.String(), "crashed-run") {
		t.Errorf("no warning about breaking crashed-run's stale lock in:\n%s", e.out.String())
	}
}
