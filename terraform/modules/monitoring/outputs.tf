output "uptime_check_ids" {
  description = "The uptime check IDs, keyed by public service."
  value       = { for k, u in google_monitoring_uptime_check_config.this : k => u.uptime_check_id }
}

output "alert_policies" {
  description = "The alert policy names, keyed by public service then signal (uptime, error_ratio, latency)."
  value = { for k in keys(local.public) : k => {
    uptime      = google_monitoring_alert_policy.uptime[k].name
    error_ratio = google_monitoring_alert_policy.error_ratio[k].name
    latency     = google_monitoring_alert_policy.latency[k].name
  } }
}

output "dashboards" {
  description = "The dashboard IDs, keyed by service."
  value       = { for k, d in google_monitoring_dashboard.service : k => d.id }
}

output "error_log_metric" {
  description = "The log-based metric of error logs (logging.googleapis.com/user/NAME)."
  value       = google_logging_metric.error_logs.name
}
