package swarm

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

const oneWeb = `
version: "3.9"
services:
  web:
    image: twittix-test/app:v1
    deploy:
      endpoint_mode: dnsrr
      update_config: {monitor: 500ms}
`

// TestTimeoutBoundsAHungPoll: a poll that never answers (a black-holed connection) must not hold
// the wait past its timeout.
func TestTimeoutBoundsAHungPoll(t *testing.T) {
	e := newEnv(t, "hung")
	var calls atomic.Int32
	c := &faultyClient{Client: e.c}
	c.taskList = func(ctx context.Context, opts client.TaskListOptions) (client.TaskListResult, error) {
		if calls.Add(1) == 1 {
			<-ctx.Done() // the first poll hangs until its context ends
			return client.TaskListResult{}, ctx.Err()
		}
		return e.c.TaskList(ctx, opts)
	}
	o := e.options(e.write("compose.yml", oneWeb))
	o.Timeout = 2 * time.Second
	ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
	defer cancel()
	start := time.Now()
	res, err := Deploy(ctx, c, e.log, o)

	var de *DeployError
	if !errors.As(err, &de) {
		t.Fatalf("Deploy error = %v after %s, want a *DeployError (timed out)", err, time.Since(start).Round(time.Millisecond))
	}
	if len(res.Failures) != 1 || !strings.Contains(res.Failures[0].Reason, "timed out after 2s") {
		t.Errorf("failures = %+v, want the 2s timeout", res.Failures)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("Deploy took %s with a 2s timeout", took)
	}
}

// TestUnwatchableStackIsNotReportedDeployed: when the swarm cannot be watched, the services the
// run created or updated did not converge as far as anyone knows: they are pending, not created.
func TestUnwatchableStackIsNotReportedDeployed(t *testing.T) {
	e := newEnv(t, "blind")
	c := &faultyClient{Client: e.c}
	c.taskList = func(ctx context.Context, opts client.TaskListOptions) (client.TaskListResult, error) {
		return client.TaskListResult{}, errors.New("connection reset by peer")
	}
	res, err := Deploy(t.Context(), c, e.log, e.options(e.write("compose.yml", oneWeb)))

	if err == nil || !strings.Contains(err.Error(), "failed to watch the services") {
		t.Fatalf("Deploy error = %v, want the watch failure", err)
	}
	if got := res.Services[0].State; got != StatePending {
		t.Errorf("state = %q, want %q: nobody saw it converge", got, StatePending)
	}
	if l, _ := findConfig(t.Context(), e.c, lockName(e.stack)); l != nil {
		t.Errorf("the deploy lock is still held: %+v", l.Spec.Labels)
	}
}

// TestPlanErrorDoesNotWaitForTheRegistry: an input error found while the registry is asked for
// digests comes back at once, not when a slow registry answers.
func TestPlanErrorDoesNotWaitForTheRegistry(t *testing.T) {
	e := newEnv(t, "slowreg")
	c := &faultyClient{Client: e.c}
	c.distributionInspect = func(ctx context.Context, _ string, _ client.DistributionInspectOptions) (client.DistributionInspectResult, error) {
		<-ctx.Done() // a registry that never answers
		return client.DistributionInspectResult{}, ctx.Err()
	}
	o := e.options(e.write("compose.yml", oneWeb+"    networks: [outside]\nnetworks:\n  outside:\n    external: true\n"))
	o.ResolveImage = ResolveAlways
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()
	start := time.Now()
	_, err := Deploy(ctx, c, e.log, o)

	if err == nil || !strings.Contains(err.Error(), `network "outside" is declared as external`) {
		t.Fatalf("Deploy error = %v, want the missing external network", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("Deploy took %s to report an input error: it waited for the registry", took)
	}
}
