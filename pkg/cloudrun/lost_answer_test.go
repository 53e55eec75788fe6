package cloudrun_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/twittix/infra/pkg/cloudrun"
)

// In these tests Cloud Run applies an update but its answer is lost (UNAVAILABLE): the retry,
// sent with the same etag, is refused (ABORTED), and the service read again carries the change
// of this very write. It must be recognized as ours, not as someone else's change.

func TestCanaryLostAnswerAtFirstStep(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy(t, "img:2", "sha-2", "sha-2")
	healthy(e)
	e.run.SetHandler("img:2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "broken", http.StatusInternalServerError)
	}))
	e.run.ResetCalls()
	e.run.FailAfter("UpdateService", codes.Unavailable)

	res, err := e.client.Canary(context.Background(), canaryRequest(t, 10, 50, 100))
	wantErr(t, err, "failed its gate at step 1 (10%)", "the traffic is back to "+e.first+" 100%")
	if !res.RolledBack {
		t.Errorf("result = %+v, want rolled back", res)
	}
	if got, want := e.split(t), e.first+"=100"; got != want {
		t.Errorf("traffic = %s, want the split before the canary %s", got, want)
	}
	if got, want := formatEntries(res.PreviousTraffic), e.first+"=100"; got != want {
		t.Errorf("previous traffic = %s, want %s", got, want)
	}
	if strings.Contains(e.log.String(), "changed before the canary's first write") {
		t.Errorf("the canary took its own write for someone else's:\n%s", e.log)
	}
	// Step 1 (lost answer, then the refused retry), then the rollback.
	if got := e.run.Calls()["UpdateService"]; got != 3 {
		t.Errorf("UpdateService calls = %d, want 3", got)
	}
}

func TestCanaryLostAnswerAtLaterStep(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy(t, "img:2", "sha-2", "sha-2")
	healthy(e)
	// The answer of the canary's second write (step 2, 50%) is lost.
	var writes atomic.Int32
	e.run.Before("UpdateService", func() {
		if writes.Add(1) == 2 {
			e.run.FailAfter("UpdateService", codes.Unavailable)
		}
	})
	res, err := e.client.Canary(context.Background(), canaryRequest(t, 10, 50, 100))
	if err != nil {
		t.Fatalf("Canary: %v\nlog:\n%s", err, e.log)
	}
	if got, want := e.split(t), candidate+"=100"; got != want {
		t.Errorf("traffic = %s, want %s", got, want)
	}
	if len(res.Steps) != 3 || res.RolledBack || !res.Changed {
		t.Errorf("result = %+v", res)
	}
}

func TestShiftLostAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rev := e.deploy(t, "img:2", "sha-2", "sha-2")
	e.run.FailAfter("UpdateService", codes.Unavailable)
	res, err := e.client.Shift(context.Background(), cloudrun.ShiftRequest{Service: ref, To: spec(t, "sha-2=100")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.split(t), rev+"=100"; got != want {
		t.Errorf("traffic = %s, want %s", got, want)
	}
	if !res.Changed {
		t.Error("result says nothing changed")
	}
	if got, want := formatEntries(res.PreviousTraffic), e.first+"=100"; got != want {
		t.Errorf("previous traffic = %s, want %s", got, want)
	}
	if got, want := formatEntries(res.Traffic), rev+"=100"; got != want {
		t.Errorf("result traffic = %s, want %s", got, want)
	}
	if log := e.log.String(); strings.Contains(log, "already as asked") || !strings.Contains(log, "was applied") {
		t.Errorf("log does not say the lost write was applied:\n%s", log)
	}
}

func TestRollbackLostAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	rev := e.deploy(t, "img:2", "sha-2", "sha-2")
	if _, err := e.client.Shift(ctx, cloudrun.ShiftRequest{Service: ref, To: spec(t, "sha-2=100")}); err != nil {
		t.Fatal(err)
	}
	e.run.FailAfter("UpdateService", codes.Unavailable)
	res, err := e.client.Rollback(ctx, cloudrun.RollbackRequest{Service: ref})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.split(t), e.first+"=100"; got != want {
		t.Errorf("traffic = %s, want %s", got, want)
	}
	if got, want := formatEntries(res.PreviousTraffic), rev+"=100"; !res.Changed || got != want {
		t.Errorf("result changed %v, previous traffic %s, want true and %s", res.Changed, got, want)
	}
}

func TestChangeRecordsAreUnique(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.deploy(t, "img:2", "sha-2", "sha-2")
	var records []string
	for _, s := range []string{"sha-2=50", "sha-2=100"} {
		if _, err := e.client.Shift(ctx, cloudrun.ShiftRequest{Service: ref, To: spec(t, s)}); err != nil {
			t.Fatal(err)
		}
		records = append(records, e.run.Service(ref.Name()).GetAnnotations()[cloudrun.AnnotationChange])
	}
	for i, want := range []string{"shift sha-2=50 by test [", "shift sha-2=100 by test ["} {
		if !strings.HasPrefix(records[i], want) {
			t.Errorf("change record %q, want it to start with %q", records[i], want)
		}
	}
	if strings.TrimPrefix(records[0], "shift sha-2=50") == strings.TrimPrefix(records[1], "shift sha-2=100") {
		t.Errorf("change records %q and %q carry the same id", records[0], records[1])
	}
}
