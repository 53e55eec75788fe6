# Per public service an uptime check and three alert policies on the signals the canary gate
# reads (pkg/cloudrun/metrics.go: request_count by response_code_class, request_latencies p99).

mock_provider "google" {}

variables {
  project = "twittix-prod"
  region  = "europe-west1"
  services = {
    web    = { url = "https://web-abc-ew.a.run.app", public = true, max_5xx_percent = 2, max_p99_ms = 800 }
    worker = { url = "https://worker-abc-ew.a.run.app", public = false }
  }
  notification_channels = {
    oncall = { type = "email", labels = { email_address = "oncall@twittix.example" } }
  }
}

run "public_service_is_watched" {
  command = plan

  assert {
    condition     = keys(google_monitoring_uptime_check_config.this) == ["web"]
    error_message = "Only the public service has an uptime check."
  }

  assert {
    condition     = google_monitoring_uptime_check_config.this["web"].monitored_resource[0].labels.host == "web-abc-ew.a.run.app" && google_monitoring_uptime_check_config.this["web"].http_check[0].path == "/healthz"
    error_message = "The uptime check requests /healthz on the service's host."
  }

  assert {
    condition     = keys(google_monitoring_alert_policy.error_ratio) == ["web"] && keys(google_monitoring_alert_policy.latency) == ["web"] && keys(google_monitoring_alert_policy.uptime) == ["web"]
    error_message = "The public service has its three alert policies."
  }

  assert {
    condition     = keys(google_monitoring_dashboard.service) == ["web", "worker"]
    error_message = "Every service has a dashboard."
  }
}

run "alerts_read_the_gate_signals" {
  command = plan

  assert {
    condition     = google_monitoring_alert_policy.error_ratio["web"].conditions[0].condition_threshold[0].filter == "metric.type = \"run.googleapis.com/request_count\" AND resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"web\" AND resource.labels.location = \"europe-west1\" AND metric.labels.response_code_class = \"5xx\""
    error_message = "The 5xx alert counts request_count of class 5xx, as the gate does."
  }

  assert {
    condition     = google_monitoring_alert_policy.error_ratio["web"].conditions[0].condition_threshold[0].denominator_filter == "metric.type = \"run.googleapis.com/request_count\" AND resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"web\" AND resource.labels.location = \"europe-west1\""
    error_message = "The 5xx ratio is over all of the service's requests."
  }

  assert {
    condition     = google_monitoring_alert_policy.error_ratio["web"].conditions[0].condition_threshold[0].threshold_value == 0.02
    error_message = "max_5xx_percent 2 is a ratio of 0.02."
  }

  assert {
    condition     = google_monitoring_alert_policy.latency["web"].conditions[0].condition_threshold[0].filter == "metric.type = \"run.googleapis.com/request_latencies\" AND resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"web\" AND resource.labels.location = \"europe-west1\""
    error_message = "The latency alert reads request_latencies."
  }

  assert {
    condition     = google_monitoring_alert_policy.latency["web"].conditions[0].condition_threshold[0].aggregations[0].cross_series_reducer == "REDUCE_PERCENTILE_99" && google_monitoring_alert_policy.latency["web"].conditions[0].condition_threshold[0].aggregations[0].per_series_aligner == "ALIGN_DELTA" && google_monitoring_alert_policy.latency["web"].conditions[0].condition_threshold[0].threshold_value == 800
    error_message = "The latency alert is the p99 (ALIGN_DELTA, REDUCE_PERCENTILE_99) above max_p99_ms, as the gate computes it."
  }

  assert {
    condition     = google_logging_metric.error_logs.filter == "resource.type=\"cloud_run_revision\" AND severity>=ERROR"
    error_message = "The log-based metric counts the services' error logs."
  }

  assert {
    condition     = length(google_monitoring_notification_channel.this) == 1 && google_monitoring_notification_channel.this["oncall"].type == "email"
    error_message = "The notification channels come from the variable."
  }
}

run "bad_threshold" {
  command = plan

  variables {
    services = { web = { url = "https://web", public = true, max_5xx_percent = 0 } }
  }

  expect_failures = [var.services]
}
