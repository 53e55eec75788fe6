// Package fakemonitoring is an in-process Cloud Monitoring v3 MetricService for tests: a gRPC
// server of the official google.monitoring.v3 protos, reached by the real
// cloud.google.com/go/monitoring/apiv3/v2 client.
//
// Tests store the time series they want the service to hold (SetSeries, or the RequestCount and
// Latency helpers for Cloud Run metrics). ListTimeSeries checks the request as the real API does
// (project name, interval, a filter naming a metric type) and returns the stored series whose
// metric type, resource type and labels match every clause of the filter. It records every
// request and can fail the next calls with a chosen gRPC code.
package fakemonitoring
