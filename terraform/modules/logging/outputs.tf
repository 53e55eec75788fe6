output "sink_writer_identity" {
  description = "The identity the sink writes as (null without a sink)."
  value       = one(google_logging_project_sink.this[*].writer_identity)
}

output "exclusions" {
  description = "The names of the exclusions."
  value       = sort(keys(google_logging_project_exclusion.this))
}
