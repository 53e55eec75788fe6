package loadtest

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twittix/infra/pkg/logging"
)

// server starts a real HTTP server: /ok answers 200, /fail 500, /hang waits for the client to go.
// It counts the requests it received and signals each /hang request on hung.
func server(t *testing.T) (addr string, received *atomic.Int64, hung chan struct{}) {
	t.Helper()
	received = &atomic.Int64{}
	hung = make(chan struct{}, 1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received.Add(1)
		switch r.URL.Path {
		case "/fail":
			http.Error(w, "broken", http.StatusInternalServerError)
		case "/hang":
			hung <- struct{}{}
			<-r.Context().Done()
		default:
			w.Write([]byte("ok"))
		}
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), received, hung
}

func mustTargets(t *testing.T, text string) Options {
	t.Helper()
	targets, err := ParseTargets(text)
	if err != nil {
		t.Fatal(err)
	}
	return Options{Targets: targets}
}

func TestRunStepsThroughTheInjectedDialer(t *testing.T) {
	t.Parallel()
	addr, received, _ := server(t)
	o := mustTargets(t, "GET http://web/ok\n\nGET http://web/fail")
	services, _ := ParseServices("web=" + addr)
	routes, err := Routes(o.Targets, services)
	if err != nil {
		t.Fatal(err)
	}
	o.Routes = routes
	var dialed atomic.Int64
	var dialedAddr atomic.Value
	o.Dial = func(ctx context.Context, network, a string) (net.Conn, error) {
		dialed.Add(1)
		dialedAddr.Store(a)
		return (&net.Dialer{}).DialContext(ctx, network, a)
	}
	o.Profile = Profile{Warmup: 200 * time.Millisecond, Steps: []Step{{Rate: 20, Duration: time.Second}, {Rate: 40, Duration: time.Second}}}
	var log bytes.Buffer
	res, err := Run(context.Background(), o, logging.New(&log))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got, want := len(res.Steps), 2; got != want {
		t.Fatalf("%d steps, want %d", got, want)
	}
	for i, want := range []uint64{20, 40} {
		s := res.Steps[i]
		if s.Requests != want {
			t.Errorf("step %d: %d requests, want %d (the rate times the duration)", i+1, s.Requests, want)
		}
		if s.ErrorRatio != 0.5 || s.StatusCodes["200"] != int(want/2) || s.StatusCodes["500"] != int(want/2) {
			t.Errorf("step %d: error ratio %g, status codes %v; want half 200, half 500", i+1, s.ErrorRatio, s.StatusCodes)
		}
		if len(s.Errors) != 1 || s.Errors[0] != "500 Internal Server Error" {
			t.Errorf("step %d: errors %q, want the 500 once", i+1, s.Errors)
		}
		if s.Latency.P99 <= 0 || s.Latency.P50 > s.Latency.P99 || s.Latency.P99 > s.Latency.Max {
			t.Errorf("step %d: latency %+v is not ordered", i+1, s.Latency)
		}
	}
	if res.Total.Requests != 60 || res.Total.TargetRate != 0 {
		t.Errorf("total: %+v, want 60 requests", res.Total)
	}
	if res.WarmupRequests == 0 || int64(res.WarmupRequests+res.Total.Requests) != received.Load() {
		t.Errorf("warm-up %d + measured %d requests, server received %d: the warm-up must be sent but not counted",
			res.WarmupRequests, res.Total.Requests, received.Load())
	}
	if dialed.Load() == 0 || dialedAddr.Load() != addr {
		t.Errorf("the dialer was called %d times, last for %v; want it to dial the routed %s", dialed.Load(), dialedAddr.Load(), addr)
	}
	for _, want := range []string{"Warm-up: 20 req/s", "Step 1/2: 20 req/s for 1s", "Step 2/2: 40 req/s", "20 requests at", "warning: step 20 req/s: 500 Internal Server Error"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}

func TestRunCancelStopsAtOnceAndKeepsTheMeasures(t *testing.T) {
	t.Parallel()
	addr, _, hung := server(t)
	o := mustTargets(t, "GET http://"+addr+"/ok\n\nGET http://"+addr+"/hang")
	o.Profile = Profile{Steps: []Step{{Rate: 50, Duration: time.Hour}, {Rate: 100, Duration: time.Hour}}}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for range 5 {
			<-hung
		}
		cancel()
	}()
	type out struct {
		res *Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := Run(ctx, o, nil)
		done <- out{res, err}
	}()
	var got out
	select {
	case got = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return 30s after it was canceled")
	}
	if !errors.Is(got.err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", got.err)
	}
	if got.res == nil || !got.res.Canceled || len(got.res.Steps) != 1 {
		t.Fatalf("result %+v, want the one step measured, canceled", got.res)
	}
	s := got.res.Steps[0]
	if s.StatusCodes["200"] < 5 || s.StatusCodes["0"] != 0 || got.res.Total.Requests != s.Requests {
		t.Errorf("step: %d requests, codes %v: want the answered /ok requests, and the abandoned /hang ones left out", s.Requests, s.StatusCodes)
	}
}

func TestRunReportsConnectionErrors(t *testing.T) {
	t.Parallel()
	o := mustTargets(t, "GET http://web/")
	o.Profile = Profile{Steps: []Step{{Rate: 10, Duration: 500 * time.Millisecond}}}
	o.Dial = func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("ssh: connection lost")
	}
	res, err := Run(context.Background(), o, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	s := res.Steps[0]
	if s.ErrorRatio != 1 || s.StatusCodes["0"] != 5 || len(s.Errors) != 1 || !strings.Contains(s.Errors[0], "ssh: connection lost") {
		t.Errorf("step %+v, want 5 requests failed on the dialer's error", s)
	}
}
