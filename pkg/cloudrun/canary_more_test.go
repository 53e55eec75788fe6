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

func TestCanaryStopsOnConcurrentChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy(t, "img:2", "sha-2", "sha-2")
	healthy(e)
	// While step 1 bakes, an operator sends everything back to the first revision: the canary's
	// read before step 2 (the second GetService) sees it.
	var reads atomic.Int32
	e.run.Before("GetService", func() {
		if reads.Add(1) == 2 {
			if _, err := e.run.SetTraffic(ref.Name(), traffic.NewTarget(e.first, 100, ""), traffic.NewTarget(candidate, 0, "sha-2")); err != nil {
				t.Error(err)
			}
		}
	})
	res, err := e.client.Canary(context.Background(), canaryRequest(t, 10, 50, 100))
	wantErr(t, err, "refusing to continue the canary", "the canary set "+e.first+" 90%, web-sha-2 10%, it is now "+e.first+" 100%")
	var refused *cloudrun.RefusedError
	if !errors.As(err, &refused) {
		t.Errorf("error is %T, want *RefusedError", err)
	}
	if res.RolledBack {
		t.Error("the canary rolled back over someone else's change")
	}
	if got, want := e.split(t), e.first+"=100"; got != want {
		t.Errorf("traffic = %s, want the operator's %s", got, want)
	}
}

func TestCanaryCancelledRollsBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy(t, "img:2", "sha-2", "sha-2")
	healthy(e)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := canaryRequest(t, 10, 100)
	req.Bake = []time.Duration{time.Minute}
	// The job is cancelled during the first bake, when the tag URL is first probed.
	e.run.SetHandler("img:2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { cancel() }))
	res, err := e.client.Canary(ctx, req)
	wantErr(t, err, "canary of web-sha-2 cancelled at step 1 (10%)", "the traffic is back to "+e.first+" 100%")
	if !res.RolledBack {
		t.Error("not rolled back")
	}
	if got, want := e.split(t), e.first+"=100"; got != want {
		t.Errorf("traffic = %s, want %s", got, want)
	}
}

func TestCanarySkipsStepsAlreadyReached(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy(t, "img:2", "sha-2", "sha-2")
	healthy(e)
	if _, err := e.client.Shift(context.Background(), cloudrun.ShiftRequest{Service: ref, To: spec(t, "sha-2=60")}); err != nil {
		t.Fatal(err)
	}
	res, err := e.client.Canary(context.Background(), canaryRequest(t, 10, 50, 100))
	if err != nil {
		t.Fatal(err)
	}
	var skipped []bool
	for _, s := range res.Steps {
		skipped = append(skipped, s.Skipped)
	}
	if len(skipped) != 3 || !skipped[0] || !skipped[1] || skipped[2] {
		t.Errorf("skipped steps = %v, want the first two", skipped)
	}
	if got, want := e.split(t), candidate+"=100"; got != want {
		t.Errorf("traffic = %s, want %s", got, want)
	}
}

func TestCanaryBadInputs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy(t, "img:2", "sha-2", "sha-2")
	untagged := e.deploy(t, "img:3", "untagged", "")
	tests := []struct {
		name   string
		mutate func(r *cloudrun.CanaryRequest)
		want   []string
	}{
		{name: "steps not increasing", mutate: func(r *cloudrun.CanaryRequest) { r.Steps = []int32{50, 10, 100} },
			want: []string{"canary steps must increase: step 2 (10%) is not above step 1 (50%)"}},
		{name: "step out of range", mutate: func(r *cloudrun.CanaryRequest) { r.Steps = []int32{0, 120} },
			want: []string{"canary step 1 is 0%", "canary step 2 is 120%"}},
		{name: "bake times", mutate: func(r *cloudrun.CanaryRequest) { r.Bake = []time.Duration{time.Second, time.Second} },
			want: []string{"2 bake times for 3 steps"}},
		{name: "unknown tag", mutate: func(r *cloudrun.CanaryRequest) { r.To = target(t, "tag:sha-404") },
			want: []string{`unknown tag "sha-404"`}},
		{name: "probe without a tag", mutate: func(r *cloudrun.CanaryRequest) { r.To = target(t, untagged) },
			want: []string{"the probe needs a tag URL but revision web-untagged has no tag"}},
		{name: "bad gate", mutate: func(r *cloudrun.CanaryRequest) {
			r.Gate.Metrics.Max5xxRatio = 2
			r.Gate.Probe.Path = "healthz"
		}, want: []string{"maximum 5xx ratio 2 is outside 0 to 1", `probe path "healthz" must start with /`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := canaryRequest(t, 10, 50, 100)
			tc.mutate(&req)
			_, err := e.client.Canary(context.Background(), req)
			wantErr(t, err, tc.want...)
		})
	}
	if got, want := e.split(t), e.first+"=100"; got != want {
		t.Errorf("traffic = %s after refused canaries, want %s", got, want)
	}
}

func TestCanaryCancelledWithinBudget(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy(t, "img:2", "sha-2", "sha-2")
	healthy(e)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := canaryRequest(t, 10, 100)
	req.Bake = []time.Duration{time.Hour}
	// The job is cancelled during the first bake, when Cloud Run has become slow: the rollback's
	// operation does not complete before the runner would kill the job.
	var cancelled atomic.Pointer[time.Time]
	e.run.SetHandler("img:2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cancelled.Load() == nil {
			e.run.SetRoutingDelay(time.Hour)
			e.run.ResetCalls()
			now := time.Now()
			cancelled.Store(&now)
			cancel()
		}
	}))
	res, err := e.client.Canary(ctx, req)
	took := time.Since(*cancelled.Load())
	if took > cloudrun.DefaultCancelBudget+time.Second {
		t.Errorf("the cancelled canary returned %s after the cancel, want within the budget of %s", took, cloudrun.DefaultCancelBudget)
	}
	wantErr(t, err, "canary of web-sha-2 cancelled at step 1 (10%)", "the rollback to "+e.first+" 100% was written but not confirmed")
	if got, want := e.split(t), e.first+"=100"; got != want {
		t.Errorf("traffic = %s, want %s", got, want)
	}
	if !res.RolledBack || formatEntries(res.Traffic) != e.first+"=100" {
		t.Errorf("result rolled back %v, traffic %s", res.RolledBack, formatEntries(res.Traffic))
	}
	// The rollback was written at once, without reading the service first.
	if log := e.run.CallLog(); len(log) == 0 || log[0] != "UpdateService" {
		t.Errorf("calls after the cancel = %v, want the rollback's UpdateService first", log)
	}
	for _, want := range []string{
		"the job was cancelled: putting the traffic of web back to " + e.first + " 100%, within 6s",
		"the rollback of web was written: Cloud Run accepted the split " + e.first + " 100%, but was still applying it (operation projects/twittix-prod/locations/europe-west1/operations/",
		"it is not confirmed: check the traffic of the service",
	} {
		if !strings.Contains(e.log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, e.log)
		}
	}
}

func TestCanaryCancelledDuringRollback(t *testing.T) {
	t.Parallel()
	e := newEnv(t, cloudrun.WithCancelBudget(300*time.Millisecond))
	e.deploy(t, "img:2", "sha-2", "sha-2")
	healthy(e)
	e.run.SetHandler("img:2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "broken", http.StatusInternalServerError)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The gate fails; the rollback's operation is slow, and the job is cancelled while it waits.
	var writes atomic.Int32
	e.run.Before("UpdateService", func() {
		if writes.Add(1) == 2 {
			e.run.SetRoutingDelay(time.Hour)
			time.AfterFunc(50*time.Millisecond, cancel)
		}
	})
	start := time.Now()
	res, err := e.client.Canary(ctx, canaryRequest(t, 10, 100))
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the canary returned after %s: the rollback did not keep to the cancel budget", took)
	}
	wantErr(t, err, "failed its gate at step 1 (10%)", "was written but not confirmed")
	if got, want := e.split(t), e.first+"=100"; got != want || !res.RolledBack {
		t.Errorf("traffic = %s, rolled back %v, want %s", got, res.RolledBack, want)
	}
	if !strings.Contains(e.log.String(), "the job was cancelled during the rollback: finishing it within 300ms") {
		t.Errorf("log lacks the cancel:\n%s", e.log)
	}
}
