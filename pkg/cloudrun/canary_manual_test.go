package cloudrun_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twittix/infra/pkg/cloudrun"
	"github.com/twittix/infra/pkg/cloudrun/traffic"
)

// TestCanaryLeavesAManualShift checks that traffic moved by someone else while a canary bakes
// (a manual shift from the promote form, a gcloud command) is never overwritten: the canary
// stops at its next look at the traffic — the next step, the rollback of a failed gate, or of a
// cancelled job — and says so.
func TestCanaryLeavesAManualShift(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// fail makes the gate fail once the manual shift is made; cancel cancels the job then.
		fail, cancel bool
		want         []string
	}{
		{name: "next step", want: []string{"refusing to continue the canary", "it is now " + "FIRST 50%, web-sha-2 50%"}},
		{name: "failed gate", fail: true, want: []string{"failed its gate at step 1 (10%)", "not rolling back", "it is now FIRST 50%, web-sha-2 50%"}},
		{name: "cancelled job", cancel: true, want: []string{"cancelled at step 1 (10%)", "not rolling back", "it is now FIRST 50%, web-sha-2 50%"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.deploy(t, "img:2", "sha-2", "sha-2")
			healthy(e)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// At the first probe of step 1, an operator gives the candidate 50%.
			var shifted atomic.Bool
			e.run.SetHandler("img:2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if shifted.CompareAndSwap(false, true) {
					if _, err := e.run.SetTraffic(ref.Name(), traffic.NewTarget(e.first, 50, ""), traffic.NewTarget(candidate, 50, "sha-2")); err != nil {
						t.Error(err)
					}
					if tc.cancel {
						cancel()
					}
				}
				if tc.fail {
					w.WriteHeader(http.StatusInternalServerError)
				}
			}))
			req := canaryRequest(t, 10, 100)
			req.Bake = []time.Duration{100 * time.Millisecond}
			res, err := e.client.Canary(ctx, req)
			for i := range tc.want {
				tc.want[i] = strings.ReplaceAll(tc.want[i], "FIRST", e.first)
			}
			wantErr(t, err, tc.want...)
			var refused *cloudrun.RefusedError
			if !errors.As(err, &refused) {
				t.Errorf("error is %T, want a *RefusedError in it", err)
			}
			if got, want := e.split(t), e.first+"=50,"+candidate+"=50"; got != want {
				t.Errorf("traffic = %s, want the operator's %s", got, want)
			}
			if res.RolledBack {
				t.Error("the canary says it rolled back over someone else's change")
			}
			if log := e.log.String(); strings.Contains(log, "could not be confirmed") || strings.Contains(log, "failed after") {
				t.Errorf("the log reports the refusal as a failed rollback:\n%s", log)
			}
		})
	}
}

// TestCanaryCancelledDuringAStepWrite checks that a step's write whose outcome the canary did not
// see (the job was cancelled while Cloud Run applied it) is recognized as the canary's own, and
// rolled back.
func TestCanaryCancelledDuringAStepWrite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy(t, "img:2", "sha-2", "sha-2")
	healthy(e)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var writes atomic.Int32
	e.run.Before("UpdateService", func() {
		if writes.Add(1) == 2 { // step 2: Cloud Run is slow to apply it, and the job is cancelled
			e.run.SetRoutingDelay(time.Hour)
			time.AfterFunc(100*time.Millisecond, func() {
				e.run.SetRoutingDelay(5 * time.Millisecond)
				cancel()
			})
		}
	})
	res, err := e.client.Canary(ctx, canaryRequest(t, 10, 50, 100))
	wantErr(t, err, "the traffic is back to "+e.first+" 100%")
	if got, want := e.split(t), e.first+"=100"; got != want || !res.RolledBack {
		t.Errorf("traffic = %s, rolled back %v, want %s", got, res.RolledBack, want)
	}
}
