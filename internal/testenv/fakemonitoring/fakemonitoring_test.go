package fakemonitoring_test

import (
	"context"
	"testing"
	"time"

	monitoring "cloud.google.com/go/monitoring/apiv3/v2"
	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/twittix/infra/internal/testenv/fakemonitoring"
)

func TestListTimeSeriesFilters(t *testing.T) {
	t.Parallel()
	s := fakemonitoring.Start(t)
	s.SetSeries(
		fakemonitoring.RequestCount("p", "r", "web", "web-2", "2xx", 90),
		fakemonitoring.RequestCount("p", "r", "web", "web-2", "5xx", 10),
		fakemonitoring.RequestCount("p", "r", "web", "web-1", "5xx", 7),
		fakemonitoring.Latency("p", "r", "web", "web-2", 250),
	)
	c, err := monitoring.NewMetricClient(context.Background(), s.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	now := time.Now()
	list := func(filter string) (map[string]int64, error) {
		it := c.ListTimeSeries(context.Background(), &monitoringpb.ListTimeSeriesRequest{
			Name:     "projects/p",
			Filter:   filter,
			Interval: &monitoringpb.TimeInterval{StartTime: timestamppb.New(now.Add(-time.Minute)), EndTime: timestamppb.New(now)},
		})
		got := map[string]int64{}
		for {
			ts, err := it.Next()
			if err == iterator.Done {
				return got, nil
			}
			if err != nil {
				return nil, err
			}
			got[ts.GetMetric().GetLabels()["response_code_class"]] += ts.GetPoints()[0].GetValue().GetInt64Value()
		}
	}
	got, err := list(`metric.type = "run.googleapis.com/request_count" AND resource.labels.revision_name = "web-2"`)
	if err != nil {
		t.Fatal(err)
	}
	if got["2xx"] != 90 || got["5xx"] != 10 || len(got) != 2 {
		t.Errorf("request counts of web-2 = %v, want 2xx:90 5xx:10", got)
	}
	if _, err := list(`revision_name ~ "web"`); status.Code(err) != codes.InvalidArgument {
		t.Errorf("unsupported filter: %v, want INVALID_ARGUMENT", err)
	}
	s.Fail(codes.PermissionDenied)
	if _, err := list(`metric.type = "x"`); status.Code(err) != codes.PermissionDenied {
		t.Errorf("injected fault: %v, want PERMISSION_DENIED", err)
	}
	if n := len(s.Requests()); n != 3 {
		t.Errorf("recorded %d requests, want 3", n)
	}
}
