package swarm

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// TestCancelReleasesTheLockFirst: after a cancel, the lock is released before the best-effort read
// of the final state, and that read, hung on a slow link, ends with the caller's cleanup budget.
func TestCancelReleasesTheLockFirst(t *testing.T) {
	e := newEnv(t, "cleanup")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var (
		lockHeldAtRead atomic.Value // bool: whether the lock existed when the final read began
		finalReads     atomic.Int32
	)
	c := &faultyClient{Client: e.c}
	c.taskList = func(ctx context.Context, opts client.TaskListOptions) (client.TaskListResult, error) {
		cancel() // the run is cancelled while it waits
		return e.c.TaskList(ctx, opts)
	}
	c.serviceList = func(ctx context.Context, opts client.ServiceListOptions) (client.ServiceListResult, error) {
		if !opts.Status {
			return e.c.ServiceList(ctx, opts)
		}
		// The read of the final state: note whether the lock is still there, then hang like a
		// black-holed connection until the cleanup context ends.
		finalReads.Add(1)
		l, err := findConfig(context.Background(), e.c, lockName(e.stack))
		if err != nil {
			t.Errorf("reading the lock: %v", err)
		}
		lockHeldAtRead.Store(l != nil)
		<-ctx.Done()
		return client.ServiceListResult{}, ctx.Err()
	}
	o := e.options(e.write("compose.yml", oneWeb))
	o.CleanupBudget = time.Second
	_, err := Deploy(ctx, c, e.log, o)

	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Deploy error = %v, want the cancel", err)
	}
	if finalReads.Load() != 1 {
		t.Fatalf("final state read %d times, want once", finalReads.Load())
	}
	if held, _ := lockHeldAtRead.Load().(bool); held {
		t.Error("the lock was still held when the best-effort read of the final state began: it must be released first")
	}
	if l, _ := findConfig(t.Context(), e.c, lockName(e.stack)); l != nil {
		t.Errorf("the deploy lock is still held after the cancelled deploy: %+v", l.Spec.Labels)
	}
	if !contains(e.out.String(), "failed to read the final state") {
		t.Errorf("the hung read of the final state did not end with the cleanup budget; output:\n%s", e.out.String())
	}
}
