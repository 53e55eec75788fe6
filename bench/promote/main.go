// Command promote measures the promote action against the in-process Cloud Run and Monitoring
// fakes and prints a Markdown table: the API calls and the time of a traffic shift, and the
// overhead of a canary beyond its configured bake times.
//
// It uses the action's production settings (polling, retries, the gate's checks), so the times
// are what the action itself adds; a real Cloud Run takes seconds more to route traffic.
//
//	go run ./bench/promote [-shifts 20] [-canaries 3] [-bake 1s]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	monitoring "cloud.google.com/go/monitoring/apiv3/v2"
	run "cloud.google.com/go/run/apiv2"

	"github.com/twittix/infra/internal/testenv/fakemonitoring"
	"github.com/twittix/infra/internal/testenv/fakerun"
	"github.com/twittix/infra/pkg/cloudrun"
	"github.com/twittix/infra/pkg/cloudrun/traffic"
	"github.com/twittix/infra/pkg/gcp"
)

const routingDelay = 50 * time.Millisecond

var ref = cloudrun.ServiceRef{Project: "bench-project", Region: "europe-west1", Service: "web"}

func main() {
	shifts := flag.Int("shifts", 20, "number of shifts to time")
	canaries := flag.Int("canaries", 3, "number of canaries to time")
	bake := flag.Duration("bake", time.Second, "bake time of each of the 3 canary steps")
	flag.Parse()
	if err := realMain(os.Stdout, *shifts, *canaries, *bake); err != nil {
		fmt.Fprintln(os.Stderr, "bench/promote:", err)
		os.Exit(1)
	}
}

// setup is a fake Cloud Run with a service, a second revision tagged "candidate", and a Client
// with the action's production settings.
type setup struct {
	run    *fakerun.Server
	mon    *fakemonitoring.Server
	client *cloudrun.Client
	first  string // the first revision
	close  func()
}

func newSetup(ctx context.Context) (*setup, error) {
	rs, err := fakerun.New(fakerun.WithRoutingDelay(routingDelay))
	if err != nil {
		return nil, err
	}
	ms, err := fakemonitoring.New()
	if err != nil {
		rs.Close()
		return nil, err
	}
	s := &setup{run: rs, mon: ms}
	services, err := run.NewServicesClient(ctx, rs.ClientOptions()...)
	if err != nil {
		return nil, err
	}
	revisions, err := run.NewRevisionsClient(ctx, rs.ClientOptions()...)
	if err != nil {
		return nil, err
	}
	metrics, err := monitoring.NewMetricClient(ctx, ms.ClientOptions()...)
	if err != nil {
		return nil, err
	}
	s.close = func() {
		services.Close()
		revisions.Close()
		metrics.Close()
		ms.Close()
		rs.Close()
	}
	// As actions/promote builds it: 1s polls, default retries and probe client.
	api := cloudrun.NewAPI(services, revisions, cloudrun.APIOptions{PollInterval: time.Second})
	s.client = cloudrun.New(api, cloudrun.WithPollInterval(time.Second),
		cloudrun.WithMetrics(cloudrun.NewMonitoringMetrics(metrics, gcp.RetryPolicy{})))
	svc, err := rs.AddService(ref.Name(), "img:1")
	if err != nil {
		return nil, err
	}
	s.first = svc.GetTrafficStatuses()[0].GetRevision()
	if _, err := s.client.Deploy(ctx, cloudrun.DeployRequest{Service: ref, Image: "img:2", RevisionSuffix: "candidate", Tag: "candidate"}); err != nil {
		return nil, err
	}
	ms.SetSeries(
		fakemonitoring.RequestCount(ref.Project, ref.Region, ref.Service, "web-candidate", "2xx", 5000),
		fakemonitoring.RequestCount(ref.Project, ref.Region, ref.Service, "web-candidate", "5xx", 3),
		fakemonitoring.Latency(ref.Project, ref.Region, ref.Service, "web-candidate", 150))
	return s, nil
}

func realMain(w io.Writer, shifts, canaries int, bake time.Duration) error {
	ctx := context.Background()
	s, err := newSetup(ctx)
	if err != nil {
		return err
	}
	defer s.close()

	// Shifts: alternate the candidate between 10% and 20%, each a real change.
	var shiftTimes []time.Duration
	var worstCalls map[string]int
	worst := 0
	for i := range shifts {
		pct := int32(10 + 10*(i%2))
		s.run.ResetCalls()
		start := time.Now()
		res, err := s.client.Shift(ctx, cloudrun.ShiftRequest{Service: ref, To: []traffic.Assignment{{Kind: traffic.ByTag, Name: "candidate", Percent: pct}}})
		if err != nil {
			return fmt.Errorf("shift %d: %w", i+1, err)
		}
		if !res.Changed {
			return fmt.Errorf("shift %d changed nothing", i+1)
		}
		shiftTimes = append(shiftTimes, time.Since(start))
		calls := s.run.Calls()
		if n := apiCalls(calls); n > worst || worstCalls == nil {
			worst, worstCalls = n, calls
		}
	}

	// Canaries: 10, 50, 100 with the gate's three checks, then back to the first revision.
	var overheads []time.Duration
	for i := range canaries {
		if _, err := s.client.Shift(ctx, cloudrun.ShiftRequest{Service: ref, To: []traffic.Assignment{{Kind: traffic.ByRevision, Name: s.first, Percent: 100}}}); err != nil {
			return fmt.Errorf("reset before canary %d: %w", i+1, err)
		}
		req := cloudrun.CanaryRequest{
			Service: ref, To: traffic.Assignment{Kind: traffic.ByTag, Name: "candidate"},
			Steps: []int32{10, 50, 100}, Bake: []time.Duration{bake},
			Gate: cloudrun.Gate{
				Interval: bake / 2,
				Probe:    &cloudrun.Probe{Path: "/healthz"},
				Metrics:  &cloudrun.MetricGate{Max5xxRatio: 0.01, MaxP99: time.Second, MinRequests: 100},
			},
		}
		start := time.Now()
		if _, err := s.client.Canary(ctx, req); err != nil {
			return fmt.Errorf("canary %d: %w", i+1, err)
		}
		overheads = append(overheads, time.Since(start)-3*bake)
	}

	fmt.Fprintf(w, "## promote: shift and canary against the fakes\n\n")
	fmt.Fprintf(w, "%s, %s/%s, %d CPUs; fake Cloud Run completes a traffic change in %s; the action's settings (polls back off from 100ms to 1s).\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), routingDelay)
	fmt.Fprintf(w, "| Measure | Result | Target |\n| --- | --- | --- |\n")
	fmt.Fprintf(w, "| API calls per shift (worst of %d) | %d: %s; plus %d GetOperation poll(s) | at most 3 plus the operation wait |\n",
		shifts, worst, describeCalls(worstCalls), worstCalls["GetOperation"])
	fmt.Fprintf(w, "| Time per shift (median / p95 / max of %d) | %s / %s / %s | |\n",
		shifts, ms(percentile(shiftTimes, 50)), ms(percentile(shiftTimes, 95)), ms(percentile(shiftTimes, 100)))
	fmt.Fprintf(w, "| Canary overhead beyond 3 × %s of bake (median / max of %d) | %s / %s | under 2 s |\n",
		bake, canaries, ms(percentile(overheads, 50)), ms(percentile(overheads, 100)))
	verdict := "met"
	if worst > 3 || percentile(overheads, 100) >= 2*time.Second {
		verdict = "NOT met"
	}
	fmt.Fprintf(w, "\nTargets %s.\n", verdict)
	return nil
}

// apiCalls counts the calls of a change, the polls of its operation excepted.
func apiCalls(calls map[string]int) int {
	n := 0
	for m, c := range calls {
		if m != "GetOperation" {
			n += c
		}
	}
	return n
}

func describeCalls(calls map[string]int) string {
	var parts []string
	for m, c := range calls {
		if m != "GetOperation" {
			parts = append(parts, fmt.Sprintf("%s ×%d", m, c))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%d ms", d.Milliseconds())
}
