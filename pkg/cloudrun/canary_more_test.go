package cloudrun_test

import (
	"context"
	"errors"
	"net/http"
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
