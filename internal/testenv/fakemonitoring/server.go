package fakemonitoring

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"google.golang.org/api/option"
	metricpb "google.golang.org/genproto/googleapis/api/metric"
	"google.golang.org/genproto/googleapis/api/monitoredres"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/twittix/infra/internal/testenv/apicalls"
)

// Server is a running fake MetricService.
type Server struct {
	monitoringpb.UnimplementedMetricServiceServer

	// Addr is the host:port of the gRPC server.
	Addr string
	stop func()

	mu       sync.Mutex
	series   []*monitoringpb.TimeSeries
	requests []*monitoringpb.ListTimeSeriesRequest
	faults   []codes.Code
}

// Start starts a fake MetricService on 127.0.0.1 and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := New()
	if err != nil {
		t.Fatalf("fakemonitoring: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// New starts a fake MetricService on 127.0.0.1, for programs (benchmarks); Close stops it.
func New() (*Server, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s := &Server{Addr: lis.Addr().String()}
	gs := grpc.NewServer(grpc.UnaryInterceptor(apicalls.UnaryInterceptor("monitoring.googleapis.com")))
	monitoringpb.RegisterMetricServiceServer(gs, s)
	go gs.Serve(lis) //nolint:errcheck // Serve returns when Stop is called
	s.stop = gs.Stop
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { s.stop() }

// ClientOptions returns the options that point a monitoring client at the fake, without
// authentication.
func (s *Server) ClientOptions() []option.ClientOption {
	return []option.ClientOption{
		option.WithEndpoint(s.Addr),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	}
}

// SetSeries replaces the time series the service holds.
func (s *Server) SetSeries(series ...*monitoringpb.TimeSeries) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.series = nil
	for _, ts := range series {
		s.series = append(s.series, proto.Clone(ts).(*monitoringpb.TimeSeries))
	}
}

// AddSeries adds time series to those the service holds.
func (s *Server) AddSeries(series ...*monitoringpb.TimeSeries) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ts := range series {
		s.series = append(s.series, proto.Clone(ts).(*monitoringpb.TimeSeries))
	}
}

// Fail makes the next len(codes) calls of ListTimeSeries fail with these codes, in order.
func (s *Server) Fail(c ...codes.Code) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, c...)
}

// Requests returns the ListTimeSeries requests received so far.
func (s *Server) Requests() []*monitoringpb.ListTimeSeriesRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*monitoringpb.ListTimeSeriesRequest, len(s.requests))
	for i, r := range s.requests {
		out[i] = proto.Clone(r).(*monitoringpb.ListTimeSeriesRequest)
	}
	return out
}

// ListTimeSeries implements monitoringpb.MetricServiceServer.
func (s *Server) ListTimeSeries(_ context.Context, req *monitoringpb.ListTimeSeriesRequest) (*monitoringpb.ListTimeSeriesResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, proto.Clone(req).(*monitoringpb.ListTimeSeriesRequest))
	if len(s.faults) > 0 {
		c := s.faults[0]
		s.faults = s.faults[1:]
		return nil, status.Errorf(c, "fakemonitoring: injected %s", c)
	}
	if !strings.HasPrefix(req.GetName(), "projects/") || strings.Count(req.GetName(), "/") != 1 {
		return nil, status.Errorf(codes.InvalidArgument, "name must be projects/[PROJECT_ID_OR_NUMBER], got %q", req.GetName())
	}
	if err := checkInterval(req.GetInterval()); err != nil {
		return nil, err
	}
	clauses, err := parseFilter(req.GetFilter())
	if err != nil {
		return nil, err
	}
	var matched []*monitoringpb.TimeSeries
	for _, ts := range s.series {
		if matches(ts, clauses) {
			out := proto.Clone(ts).(*monitoringpb.TimeSeries)
			if req.GetView() == monitoringpb.ListTimeSeriesRequest_HEADERS {
				out.Points = nil
			}
			matched = append(matched, out)
		}
	}
	return page(matched, req.GetPageSize(), req.GetPageToken())
}

func checkInterval(iv *monitoringpb.TimeInterval) error {
	if iv.GetEndTime() == nil {
		return status.Error(codes.InvalidArgument, "interval.end_time is required")
	}
	if iv.GetStartTime() != nil && iv.GetStartTime().AsTime().After(iv.GetEndTime().AsTime()) {
		return status.Errorf(codes.InvalidArgument, "interval.start_time %s is after end_time %s",
			iv.GetStartTime().AsTime().Format(time.RFC3339), iv.GetEndTime().AsTime().Format(time.RFC3339))
	}
	return nil
}

// clausePattern matches one `field = "value"` comparison of a monitoring filter.
var clausePattern = regexp.MustCompile(`^\s*([a-z_]+(?:\.[a-z_]+)*)\s*=\s*"([^"]*)"\s*$`)

// parseFilter parses filters made of `field = "value"` comparisons joined by AND, the subset of
// the monitoring filter language that Cloud Run metric queries use.
func parseFilter(filter string) (map[string]string, error) {
	clauses := map[string]string{}
	for _, part := range regexp.MustCompile(`\s+AND\s+`).Split(strings.TrimSpace(filter), -1) {
		m := clausePattern.FindStringSubmatch(part)
		if m == nil {
			return nil, status.Errorf(codes.InvalidArgument, "fakemonitoring: unsupported filter clause %q in %q", part, filter)
		}
		clauses[m[1]] = m[2]
	}
	if clauses["metric.type"] == "" {
		return nil, status.Errorf(codes.InvalidArgument, "filter %q must name a metric.type", filter)
	}
	return clauses, nil
}

func matches(ts *monitoringpb.TimeSeries, clauses map[string]string) bool {
	for field, want := range clauses {
		var got string
		switch {
		case field == "metric.type":
			got = ts.GetMetric().GetType()
		case field == "resource.type":
			got = ts.GetResource().GetType()
		case strings.HasPrefix(field, "resource.labels."), strings.HasPrefix(field, "resource.label."):
			got = ts.GetResource().GetLabels()[field[strings.LastIndex(field, ".")+1:]]
		case strings.HasPrefix(field, "metric.labels."), strings.HasPrefix(field, "metric.label."):
			got = ts.GetMetric().GetLabels()[field[strings.LastIndex(field, ".")+1:]]
		default:
			return false
		}
		if got != want {
			return false
		}
	}
	return true
}

func page(all []*monitoringpb.TimeSeries, size int32, token string) (*monitoringpb.ListTimeSeriesResponse, error) {
	start := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(all) {
			return nil, status.Errorf(codes.InvalidArgument, "invalid page_token %q", token)
		}
		start = n
	}
	end := len(all)
	if size > 0 && start+int(size) < end {
		end = start + int(size)
	}
	resp := &monitoringpb.ListTimeSeriesResponse{TimeSeries: all[start:end]}
	if end < len(all) {
		resp.NextPageToken = strconv.Itoa(end)
	}
	return resp, nil
}

// RunRevision returns the monitored resource of a Cloud Run revision.
func RunRevision(project, location, service, revision string) *monitoredres.MonitoredResource {
	return &monitoredres.MonitoredResource{
		Type: "cloud_run_revision",
		Labels: map[string]string{
			"project_id":         project,
			"location":           location,
			"service_name":       service,
			"revision_name":      revision,
			"configuration_name": service,
		},
	}
}

// RequestCount returns a series of run.googleapis.com/request_count for a revision and a
// response code class ("2xx", "5xx", ...) with one point of count requests, as an ALIGN_DELTA
// aggregation over the last minute returns it.
func RequestCount(project, location, service, revision, class string, count int64) *monitoringpb.TimeSeries {
	return &monitoringpb.TimeSeries{
		Metric:     &metricpb.Metric{Type: "run.googleapis.com/request_count", Labels: map[string]string{"response_code_class": class}},
		Resource:   RunRevision(project, location, service, revision),
		MetricKind: metricpb.MetricDescriptor_DELTA,
		ValueType:  metricpb.MetricDescriptor_INT64,
		Points:     []*monitoringpb.Point{point(&monitoringpb.TypedValue{Value: &monitoringpb.TypedValue_Int64Value{Int64Value: count}})},
	}
}

// Latency returns a series of run.googleapis.com/request_latencies for a revision with one point
// of ms milliseconds, as a percentile reduction returns it.
func Latency(project, location, service, revision string, ms float64) *monitoringpb.TimeSeries {
	return &monitoringpb.TimeSeries{
		Metric:     &metricpb.Metric{Type: "run.googleapis.com/request_latencies"},
		Resource:   RunRevision(project, location, service, revision),
		MetricKind: metricpb.MetricDescriptor_DELTA,
		ValueType:  metricpb.MetricDescriptor_DOUBLE,
		Unit:       "ms",
		Points:     []*monitoringpb.Point{point(&monitoringpb.TypedValue{Value: &monitoringpb.TypedValue_DoubleValue{DoubleValue: ms}})},
	}
}

func point(v *monitoringpb.TypedValue) *monitoringpb.Point {
	now := time.Now()
	return &monitoringpb.Point{
		Interval: &monitoringpb.TimeInterval{StartTime: timestamppb.New(now.Add(-time.Minute)), EndTime: timestamppb.New(now)},
		Value:    v,
	}
}

// String describes the stored series, for test failure messages.
func (s *Server) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, ts := range s.series {
		fmt.Fprintf(&b, "%s %v %v\n", ts.GetMetric().GetType(), ts.GetMetric().GetLabels(), ts.GetResource().GetLabels())
	}
	return b.String()
}
