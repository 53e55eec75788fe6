package cloudrun_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/run/apiv2/runpb"
	"github.com/google/go-cmp/cmp"

	"github.com/twittix/infra/internal/testenv/fakemonitoring"
	"github.com/twittix/infra/pkg/cloudrun"
	"github.com/twittix/infra/pkg/cloudrun/traffic"
)

const candidate = "web-sha-2"

// healthy stores metrics of a healthy candidate: 0.2% 5xx, p99 120ms, 1000 requests.
func healthy(e *env) {
	e.mon.SetSeries(
		fakemonitoring.RequestCount(ref.Project, ref.Region, ref.Service, candidate, "2xx", 998),
		fakemonitoring.RequestCount(ref.Project, ref.Region, ref.Service, candidate, "5xx", 2),
		fakemonitoring.Latency(ref.Project, ref.Region, ref.Service, candidate, 120),
		// Another revision's errors must not count.
		fakemonitoring.RequestCount(ref.Project, ref.Region, ref.Service, "web-other", "5xx", 500),
	)
}

func gate() cloudrun.Gate {
	return cloudrun.Gate{
		Interval: 20 * time.Millisecond,
		Probe:    &cloudrun.Probe{Path: "/healthz", Status: 200},
		Metrics:  &cloudrun.MetricGate{Max5xxRatio: 0.01, MaxP99: 500 * time.Millisecond, MinRequests: 100},
	}
}

func canaryRequest(t *testing.T, steps ...int32) cloudrun.CanaryRequest {
	return cloudrun.CanaryRequest{Service: ref, To: target(t, "sha-2"), Steps: steps, Bake: []time.Duration{60 * time.Millisecond}, Gate: gate()}
}

func TestCanaryPasses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy(t, "img:2", "sha-2", "sha-2")
	healthy(e)
	var probes atomic.Int32
	e.run.SetHandler("img:2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			probes.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))

	res, err := e.client.Canary(context.Background(), canaryRequest(t, 10, 50, 100))
	if err != nil {
		t.Fatalf("Canary: %v\nlog:\n%s", err, e.log)
	}
	if got, want := e.split(t), candidate+"=100"; got != want {
		t.Errorf("traffic = %s, want %s", got, want)
	}
	var percents []int32
	for _, s := range res.Steps {
		percents = append(percents, s.Percent)
		if !s.Passed || s.Evaluations < 1 || len(s.Checks) != 3 {
			t.Errorf("step %d%%: passed %v after %d evaluations, checks %+v", s.Percent, s.Passed, s.Evaluations, s.Checks)
		}
		if s.Elapsed < 60*time.Millisecond {
			t.Errorf("step %d%% baked %s, less than its 60ms", s.Percent, s.Elapsed)
		}
	}
	if diff := cmp.Diff([]int32{10, 50, 100}, percents); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if res.RolledBack || res.Revision != candidate || res.Tag != "sha-2" || !res.Changed {
		t.Errorf("result = %+v", res)
	}
	// The metrics read and the thresholds are in the result, for the summary's charts.
	if diff := cmp.Diff(gate().Metrics, res.MetricGate); diff != "" {
		t.Errorf("result metric gate (-want +got):\n%s", diff)
	}
	for _, s := range res.Steps {
		want := &cloudrun.Stats{Requests: 1000, Errors5xx: 2, P99: 120 * time.Millisecond, HasLatency: true}
		if diff := cmp.Diff(want, s.Checks[2].Stats); s.Checks[2].Name != "metrics" || diff != "" {
			t.Errorf("step %d%%: check %s stats (-want +got):\n%s", s.Percent, s.Checks[2].Name, diff)
		}
	}
	if got := probes.Load(); got < 3 {
		t.Errorf("the tag URL was probed %d times, want at least once per step", got)
	}
	// The metric queries name the revision, the metric and the region.
	reqs := e.mon.Requests()
	if len(reqs) < 6 {
		t.Fatalf("%d metric queries, want at least 2 per step", len(reqs))
	}
	for _, want := range []string{`metric.type = "run.googleapis.com/request_count"`, `resource.labels.revision_name = "web-sha-2"`, `resource.labels.location = "europe-west1"`} {
		if !strings.Contains(reqs[0].GetFilter(), want) {
			t.Errorf("metric filter %q does not contain %s", reqs[0].GetFilter(), want)
		}
	}
	if got := reqs[0].GetName(); got != "projects/twittix-prod" {
		t.Errorf("metric query name = %q", got)
	}
	// Every step recorded the split before the canary, for a later rollback.
	svc := e.run.Service(ref.Name())
	if got, want := svc.GetAnnotations()[cloudrun.AnnotationPreviousTraffic], traffic.Encode([]*runpb.TrafficTarget{traffic.NewTarget(e.first, 100, "")}); got != want {
		t.Errorf("recorded previous traffic = %s, want %s", got, want)
	}
	if got := svc.GetAnnotations()[cloudrun.AnnotationChange]; !strings.HasPrefix(got, "canary web-sha-2 step 3/3 (100%) by test [") {
		t.Errorf("recorded change = %q", got)
	}
	for _, want := range []string{"Canary step 1/3: web-sha-2 at 10% for 60ms", "step 2/3 (50%): baked", "metrics ok (2/1000 5xx (0.20%), p99 120ms)", "canary of web-sha-2 passed"} {
		if !strings.Contains(e.log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, e.log)
		}
	}
}

func TestCanaryRolledBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		setup    func(e *env)
		bake     time.Duration // default 60ms
		failStep int32
		want     []string
	}{
		{
			name: "by the HTTP probe",
			setup: func(e *env) {
				healthy(e)
				e.run.SetHandler("img:2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					http.Error(w, "database unreachable", http.StatusInternalServerError)
				}))
			},
			failStep: 10,
			want:     []string{"failed its gate at step 1 (10%)", "probe: GET /healthz: 500, want 200"},
		},
		{
			name: "by the 5xx ratio",
			setup: func(e *env) {
				e.mon.SetSeries(
					fakemonitoring.RequestCount(ref.Project, ref.Region, ref.Service, candidate, "2xx", 900),
					fakemonitoring.RequestCount(ref.Project, ref.Region, ref.Service, candidate, "5xx", 100),
					fakemonitoring.Latency(ref.Project, ref.Region, ref.Service, candidate, 100))
			},
			failStep: 10,
			want:     []string{"metrics: 100/1000 5xx (10.00%), p99 100ms: 5xx ratio above the maximum 1.00%"},
		},
		{
			name: "by the p99 latency",
			setup: func(e *env) {
				e.mon.SetSeries(
					fakemonitoring.RequestCount(ref.Project, ref.Region, ref.Service, candidate, "2xx", 1000),
					fakemonitoring.Latency(ref.Project, ref.Region, ref.Service, candidate, 2500))
			},
			failStep: 10,
			want:     []string{"p99 2.5s", "p99 above the maximum 500ms"},
		},
		{
			name: "at the second step",
			setup: func(e *env) {
				healthy(e)
				// The revision breaks under half the traffic.
				e.run.SetHandler("img:2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if traffic.Percent(e.run.Service(ref.Name()).GetTraffic(), candidate, "") >= 50 {
						w.WriteHeader(http.StatusBadGateway)
					}
				}))
			},
			failStep: 50,
			want:     []string{"failed its gate at step 2 (50%)", "probe: GET /healthz: 502, want 200"},
		},
		{
			name: "during a long bake",
			setup: func(e *env) {
				healthy(e)
				// The revision answers the first two probes, then breaks.
				var calls atomic.Int32
				e.run.SetHandler("img:2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if calls.Add(1) > 2 {
						w.WriteHeader(http.StatusServiceUnavailable)
					}
				}))
			},
			bake:     time.Hour,
			failStep: 10,
			want:     []string{"failed its gate at step 1 (10%)", "probe: GET /healthz: 503, want 200"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.deploy(t, "img:2", "sha-2", "sha-2")
			tc.setup(e)
			req := canaryRequest(t, 10, 50, 100)
			if tc.bake > 0 {
				req.Bake = []time.Duration{tc.bake}
			}
			res, err := e.client.Canary(context.Background(), req)
			wantErr(t, err, append(tc.want, "the traffic is back to "+e.first+" 100%")...)
			// The log says the split the rollback wrote, not the one it replaced.
			if want := regexp.MustCompile(`traffic of \S+ rolled back in \S+: ` + regexp.QuoteMeta(e.first) + ` 100%\n`); !want.MatchString(e.log.String()) {
				t.Errorf("log lacks a line matching %q:\n%s", want, e.log)
			}
			if got, want := e.split(t), e.first+"=100"; got != want {
				t.Errorf("traffic = %s, want the split before the canary %s", got, want)
			}
			if tags := traffic.Tags(e.run.Service(ref.Name()).GetTraffic()); tags["sha-2"] != candidate {
				t.Errorf("tags after rollback = %v, want sha-2 kept on %s", tags, candidate)
			}
			if !res.RolledBack || len(res.Steps) == 0 {
				t.Fatalf("result = %+v, want rolled back", res)
			}
			last := res.Steps[len(res.Steps)-1]
			if last.Percent != tc.failStep || last.Passed {
				t.Errorf("last step = %+v, want %d%% failed", last, tc.failStep)
			}
			if tc.bake > 0 && last.Elapsed >= tc.bake {
				t.Errorf("the failure was seen after %s, not during the %s bake", last.Elapsed, req.Bake[0])
			}
			if got := formatEntries(res.Traffic); got != e.first+"=100" {
				t.Errorf("result traffic = %s", got)
			}
			// The record still holds the split before the canary: a rollback now changes nothing.
			if got := e.run.Service(ref.Name()).GetAnnotations()[cloudrun.AnnotationChange]; !strings.HasPrefix(got, "rollback of canary web-sha-2 by test [") {
				t.Errorf("recorded change = %q", got)
			}
		})
	}
}

func TestCanaryInconclusive(t *testing.T) {
	t.Parallel()
	for _, passes := range []bool{false, true} {
		t.Run(map[bool]string{false: "fails", true: "passes"}[passes], func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.deploy(t, "img:2", "sha-2", "sha-2")
			e.mon.SetSeries(fakemonitoring.RequestCount(ref.Project, ref.Region, ref.Service, candidate, "2xx", 12))
			req := canaryRequest(t, 10, 100)
			req.Gate.Metrics.InconclusivePasses = passes
			res, err := e.client.Canary(context.Background(), req)
			if !passes {
				wantErr(t, err, "failed its gate at step 1 (10%)", "0/12 5xx (0.00%): fewer than 100 requests, inconclusive (fails: inconclusive checks are not allowed)")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range res.Steps {
				if m := s.Checks[2]; !m.Inconclusive || !m.Passed || !strings.Contains(m.Detail, "fewer than 100 requests, inconclusive (passes") {
					t.Errorf("step %d%% metric check = %+v", s.Percent, m)
				}
			}
			if got, want := e.split(t), candidate+"=100"; got != want {
				t.Errorf("traffic = %s, want %s", got, want)
			}
		})
	}
}
