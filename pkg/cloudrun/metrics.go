package cloudrun

import (
	"context"
	"fmt"
	"time"

	monitoring "cloud.google.com/go/monitoring/apiv3/v2"
	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"google.golang.org/api/iterator"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/twittix/infra/pkg/gcp"
)

// Stats are the requests a revision served over a window.
type Stats struct {
	// Requests is the number of requests; Errors5xx those answered with a 5xx status.
	Requests  int64
	Errors5xx int64
	// P99 is the 99th percentile of the request latencies, when HasLatency.
	P99        time.Duration
	HasLatency bool
}

// Metrics reads the request metrics of revisions.
type Metrics interface {
	// RevisionStats returns what the revision served between start and end.
	RevisionStats(ctx context.Context, ref ServiceRef, revision string, start, end time.Time) (Stats, error)
}

// Metric types Cloud Run writes for each revision.
const (
	MetricRequestCount     = "run.googleapis.com/request_count"
	MetricRequestLatencies = "run.googleapis.com/request_latencies"
)

// NewMonitoringMetrics returns the Metrics read from Cloud Monitoring: request_count summed by
// response_code_class, and the 99th percentile of request_latencies.
func NewMonitoringMetrics(client *monitoring.MetricClient, retry gcp.RetryPolicy) Metrics {
	if retry.Attempts == 0 {
		retry = gcp.DefaultRetry
	}
	return &monitoringMetrics{client: client, retry: retry}
}

type monitoringMetrics struct {
	client *monitoring.MetricClient
	retry  gcp.RetryPolicy
}

// minAlignment is the shortest alignment period Cloud Monitoring accepts.
const minAlignment = time.Minute

func (m *monitoringMetrics) RevisionStats(ctx context.Context, ref ServiceRef, revision string, start, end time.Time) (Stats, error) {
	var st Stats
	filter := func(metric string) string {
		return fmt.Sprintf(`metric.type = %q AND resource.type = "cloud_run_revision" AND resource.labels.service_name = %q AND resource.labels.revision_name = %q AND resource.labels.location = %q`,
			metric, ref.Service, revision, ref.Region)
	}
	period := max(end.Sub(start).Round(time.Second)+time.Second, minAlignment)
	counts, err := m.list(ctx, ref, filter(MetricRequestCount), start, end, &monitoringpb.Aggregation{
		AlignmentPeriod:    durationpb.New(period),
		PerSeriesAligner:   monitoringpb.Aggregation_ALIGN_DELTA,
		CrossSeriesReducer: monitoringpb.Aggregation_REDUCE_SUM,
		GroupByFields:      []string{"metric.label.response_code_class"},
	})
	if err != nil {
		return st, fmt.Errorf("failed to read %s of revision %s: %w", MetricRequestCount, revision, err)
	}
	for _, ts := range counts {
		var n int64
		for _, p := range ts.GetPoints() {
			n += p.GetValue().GetInt64Value()
		}
		st.Requests += n
		if ts.GetMetric().GetLabels()["response_code_class"] == "5xx" {
			st.Errors5xx += n
		}
	}
	lat, err := m.list(ctx, ref, filter(MetricRequestLatencies), start, end, &monitoringpb.Aggregation{
		AlignmentPeriod:    durationpb.New(period),
		PerSeriesAligner:   monitoringpb.Aggregation_ALIGN_DELTA,
		CrossSeriesReducer: monitoringpb.Aggregation_REDUCE_PERCENTILE_99,
	})
	if err != nil {
		return st, fmt.Errorf("failed to read %s of revision %s: %w", MetricRequestLatencies, revision, err)
	}
	for _, ts := range lat {
		for _, p := range ts.GetPoints() {
			ms := p.GetValue().GetDoubleValue()
			if d := time.Duration(ms * float64(time.Millisecond)); !st.HasLatency || d > st.P99 {
				st.P99, st.HasLatency = d, true
			}
		}
	}
	return st, nil
}

func (m *monitoringMetrics) list(ctx context.Context, ref ServiceRef, filter string, start, end time.Time, agg *monitoringpb.Aggregation) ([]*monitoringpb.TimeSeries, error) {
	var out []*monitoringpb.TimeSeries
	err := gcp.Retry(ctx, m.retry, func(ctx context.Context) error {
		out = nil
		it := m.client.ListTimeSeries(ctx, &monitoringpb.ListTimeSeriesRequest{
			Name:        "projects/" + ref.Project,
			Filter:      filter,
			Interval:    &monitoringpb.TimeInterval{StartTime: timestamppb.New(start), EndTime: timestamppb.New(end)},
			Aggregation: agg,
			View:        monitoringpb.ListTimeSeriesRequest_FULL,
		}, noRetry)
		for {
			ts, err := it.Next()
			if err == iterator.Done {
				return nil
			}
			if err != nil {
				return err
			}
			out = append(out, ts)
		}
	})
	return out, gcp.Explain(err)
}
