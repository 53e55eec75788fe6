package action

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twittix/infra/internal/actiontest"
	"github.com/twittix/infra/pkg/cloudbuild"
	"github.com/twittix/infra/pkg/cloudrun"
	"github.com/twittix/infra/pkg/swarm"
)

func TestSignalsCancelOnceAndLeaveTimeToCleanUp(t *testing.T) {
	t.Parallel()
	sigs := make(chan os.Signal)
	var log actiontest.SyncBuffer
	ctx, stop := notifyContext(context.Background(), sigs, &log)
	defer stop()

	sigs <- os.Interrupt
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the first signal did not cancel the context")
	}
	if got, want := context.Cause(ctx).Error(), "received interrupt"; got != want {
		t.Errorf("cause = %q, want %q", got, want)
	}
	// The second signal, SIGTERM 7.5 s later on GitHub, must not kill the process: it is taken
	// and noted (this test would die if the default handler ran).
	sigs <- syscall.SIGTERM
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(log.String(), "received terminated again: still cleaning up") {
		if time.Now().After(deadline) {
			t.Fatalf("the second signal was not noted; log: %q", log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDomainDefaultsAreTheCleanupBudget checks the domain packages, which take the cleanup budget
// from their caller, default to the same one.
func TestDomainDefaultsAreTheCleanupBudget(t *testing.T) {
	t.Parallel()
	for name, d := range map[string]time.Duration{
		"cloudbuild.DefaultCancelTimeout": cloudbuild.DefaultCancelTimeout,
		"cloudrun.DefaultCancelBudget":    cloudrun.DefaultCancelBudget,
		"swarm.DefaultCleanupBudget":      swarm.DefaultCleanupBudget,
	} {
		if d != CleanupBudget {
			t.Errorf("%s = %s, want CleanupBudget (%s)", name, d, CleanupBudget)
		}
	}
}
