package cloudrun_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	monitoring "cloud.google.com/go/monitoring/apiv3/v2"
	run "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"

	"github.com/twittix/infra/internal/actiontest"
	"github.com/twittix/infra/internal/testenv/fakemonitoring"
	"github.com/twittix/infra/internal/testenv/fakerun"
	"github.com/twittix/infra/pkg/cloudrun"
	"github.com/twittix/infra/pkg/cloudrun/traffic"
	"github.com/twittix/infra/pkg/gcp"
	"github.com/twittix/infra/pkg/logging"
)

var ref = cloudrun.ServiceRef{Project: "twittix-prod", Region: "europe-west1", Service: "web"}

// fastRetry keeps retried tests quick.
var fastRetry = gcp.RetryPolicy{Attempts: 4, Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond, Multiplier: 2}

// env is a fake Cloud Run and Monitoring with a service "web" whose first revision serves 100%
// through LATEST, and a Client of them.
type env struct {
	run    *fakerun.Server
	mon    *fakemonitoring.Server
	client *cloudrun.Client
	first  string // the first revision
	log    *actiontest.SyncBuffer
}

func newEnv(t *testing.T, opts ...cloudrun.Option) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{run: fakerun.Start(t), mon: fakemonitoring.Start(t), log: &actiontest.SyncBuffer{}}
	svc, err := e.run.AddService(ref.Name(), "img:1")
	if err != nil {
		t.Fatal(err)
	}
	e.first = svc.GetTrafficStatuses()[0].GetRevision()
	services, err := run.NewServicesClient(ctx, e.run.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	revisions, err := run.NewRevisionsClient(ctx, e.run.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := monitoring.NewMetricClient(ctx, e.mon.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		services.Close()
		revisions.Close()
		metrics.Close()
	})
	logger := logging.New(e.log)
	api := cloudrun.NewAPI(services, revisions, cloudrun.APIOptions{Retry: fastRetry, PollInterval: 5 * time.Millisecond, Log: logger})
	all := append([]cloudrun.Option{
		cloudrun.WithLogger(logger),
		cloudrun.WithMetrics(cloudrun.NewMonitoringMetrics(metrics, fastRetry)),
		cloudrun.WithPollInterval(5 * time.Millisecond),
		cloudrun.WithReadyTimeout(5 * time.Second),
		cloudrun.WithNote("test"),
	}, opts...)
	e.client = cloudrun.New(api, all...)
	return e
}

// deploy deploys image as revision web-SUFFIX tagged TAG and returns the revision name.
func (e *env) deploy(t *testing.T, image, suffix, tag string) string {
	t.Helper()
	res, err := e.client.Deploy(context.Background(), cloudrun.DeployRequest{Service: ref, Image: image, RevisionSuffix: suffix, Tag: tag})
	if err != nil {
		t.Fatalf("Deploy(%s): %v", image, err)
	}
	return res.Revision
}

// split returns the serving part of the service's traffic as "rev=percent,..." in order.
func (e *env) split(t *testing.T) string {
	t.Helper()
	return formatSplit(e.run.Service(ref.Name()).GetTraffic())
}

func formatSplit(targets []*runpb.TrafficTarget) string {
	m, order := traffic.Percents(traffic.Normalize(targets))
	var parts []string
	for _, k := range order {
		parts = append(parts, k+"="+itoa(m[k]))
	}
	return strings.Join(parts, ",")
}

func formatEntries(entries []traffic.Entry) string {
	var parts []string
	for _, e := range entries {
		if e.Percent > 0 {
			parts = append(parts, e.Revision+"="+itoa(e.Percent))
		}
	}
	return strings.Join(parts, ",")
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

func spec(t *testing.T, s string) []traffic.Assignment {
	t.Helper()
	a, err := traffic.ParseSpec(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func target(t *testing.T, s string) traffic.Assignment {
	t.Helper()
	a, err := traffic.ParseTarget(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}
