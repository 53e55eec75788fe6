locals {
  # The metrics the promote action's canary gate reads (pkg/cloudrun/metrics.go): the same
  # signals, so an alert and a rolled-back canary tell the same story.
  # terraform/names_test.go checks these against cloudrun.MetricRequestCount/MetricRequestLatencies.
  request_count     = "run.googleapis.com/request_count"
  request_latencies = "run.googleapis.com/request_latencies"

  error_log_metric = "twittix/error_logs"

  channels = [for c in google_monitoring_notification_channel.this : c.id]

  public = { for name, s in var.services : name => s if s.public }

  # The filter of one service's series of a metric, as the gate builds it (per revision there).
  service_filter = { for name, s in var.services : name => "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"${name}\" AND resource.labels.location = \"${var.region}\"" }
}

resource "google_monitoring_notification_channel" "this" {
  for_each = var.notification_channels

  project      = var.project
  display_name = each.key
  type         = each.value.type
  labels       = each.value.labels
  description  = "Alerts of the twittix production services."
}

# Error logs of every Cloud Run service, counted per service.
resource "google_logging_metric" "error_logs" {
  project     = var.project
  name        = local.error_log_metric
  description = "Log entries of severity ERROR or above written by the Cloud Run services."
  filter      = "resource.type=\"cloud_run_revision\" AND severity>=ERROR"

  label_extractors = {
    service_name = "EXTRACT(resource.labels.service_name)"
  }

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key         = "service_name"
      value_type  = "STRING"
      description = "The Cloud Run service that wrote the entry."
    }
  }
}

resource "google_monitoring_uptime_check_config" "this" {
  for_each = local.public

  project      = var.project
  display_name = "${each.key} ${each.value.probe_path}"
  timeout      = "10s"
  period       = "60s"

  http_check {
    path         = each.value.probe_path
    port         = 443
    use_ssl      = true
    validate_ssl = true
    accepted_response_status_codes {
      status_class = "STATUS_CLASS_2XX"
    }
  }

  monitored_resource {
    type = "uptime_url"
    labels = {
      project_id = var.project
      host       = trimsuffix(trimprefix(each.value.url, "https://"), "/")
    }
  }
}

resource "google_monitoring_alert_policy" "uptime" {
  for_each = local.public

  project               = var.project
  display_name          = "${each.key}: uptime check failing"
  combiner              = "OR"
  notification_channels = local.channels
  severity              = "CRITICAL"

  conditions {
    display_name = "${each.key} ${each.value.probe_path} fails from 2 or more regions"
    condition_threshold {
      filter          = "metric.type = \"monitoring.googleapis.com/uptime_check/check_passed\" AND resource.type = \"uptime_url\" AND metric.labels.check_id = \"${google_monitoring_uptime_check_config.this[each.key].uptime_check_id}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 1
      duration        = "120s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_NEXT_OLDER"
        cross_series_reducer = "REDUCE_COUNT_FALSE"
        group_by_fields      = ["resource.label.host"]
      }
      trigger {
        count = 1
      }
    }
  }
}

# The share of 5xx answers: the gate's request_count, 5xx class over all classes.
resource "google_monitoring_alert_policy" "error_ratio" {
  for_each = local.public

  project               = var.project
  display_name          = "${each.key}: 5xx ratio above ${each.value.max_5xx_percent}%"
  combiner              = "OR"
  notification_channels = local.channels
  severity              = "ERROR"

  conditions {
    display_name = "${each.key} 5xx ratio"
    condition_threshold {
      filter             = "metric.type = \"${local.request_count}\" AND ${local.service_filter[each.key]} AND metric.labels.response_code_class = \"5xx\""
      denominator_filter = "metric.type = \"${local.request_count}\" AND ${local.service_filter[each.key]}"
      comparison         = "COMPARISON_GT"
      threshold_value    = each.value.max_5xx_percent / 100
      duration           = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }
      denominator_aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "More than ${each.value.max_5xx_percent}% of ${each.key}'s requests answered 5xx for 5 minutes: the signal the canary gate reads. Roll back with the promote workflow (mode rollback)."
  }
}

# The 99th percentile latency, aligned and reduced as the gate does.
resource "google_monitoring_alert_policy" "latency" {
  for_each = local.public

  project               = var.project
  display_name          = "${each.key}: p99 latency above ${each.value.max_p99_ms}ms"
  combiner              = "OR"
  notification_channels = local.channels
  severity              = "WARNING"

  conditions {
    display_name = "${each.key} p99 latency"
    condition_threshold {
      filter          = "metric.type = \"${local.request_latencies}\" AND ${local.service_filter[each.key]}"
      comparison      = "COMPARISON_GT"
      threshold_value = each.value.max_p99_ms
      duration        = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_PERCENTILE_99"
        group_by_fields      = ["resource.label.service_name"]
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "${each.key}'s p99 latency stayed above ${each.value.max_p99_ms}ms for 5 minutes."
  }
}

resource "google_monitoring_dashboard" "service" {
  for_each = var.services

  project = var.project
  dashboard_json = jsonencode({
    displayName = "twittix ${each.key}"
    mosaicLayout = {
      columns = 12
      tiles = [
        {
          xPos = 0, yPos = 0, width = 6, height = 4
          widget = {
            title = "Requests by response class"
            xyChart = {
              dataSets = [{
                plotType = "STACKED_BAR"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter      = "metric.type = \"${local.request_count}\" AND ${local.service_filter[each.key]}"
                    aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_RATE", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.response_code_class"] }
                  }
                }
              }]
            }
          }
        },
        {
          xPos = 6, yPos = 0, width = 6, height = 4
          widget = {
            title = "p99 latency by revision (ms)"
            xyChart = {
              dataSets = [{
                plotType = "LINE"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter      = "metric.type = \"${local.request_latencies}\" AND ${local.service_filter[each.key]}"
                    aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_DELTA", crossSeriesReducer = "REDUCE_PERCENTILE_99", groupByFields = ["resource.label.revision_name"] }
                  }
                }
              }]
            }
          }
        },
        {
          xPos = 0, yPos = 4, width = 6, height = 4
          widget = {
            title = "Error logs"
            xyChart = {
              dataSets = [{
                plotType = "LINE"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter      = "metric.type = \"logging.googleapis.com/user/${google_logging_metric.error_logs.name}\" AND metric.label.service_name = \"${each.key}\""
                    aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_RATE", crossSeriesReducer = "REDUCE_SUM" }
                  }
                }
              }]
            }
          }
        },
        {
          xPos = 6, yPos = 4, width = 6, height = 4
          widget = {
            title = "Instances"
            xyChart = {
              dataSets = [{
                plotType = "LINE"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter      = "metric.type = \"run.googleapis.com/container/instance_count\" AND ${local.service_filter[each.key]}"
                    aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_MAX", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.state"] }
                  }
                }
              }]
            }
          }
        },
      ]
    }
  })
}
