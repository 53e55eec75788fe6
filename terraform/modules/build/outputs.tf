output "source_bucket" {
  description = "The staging bucket of build sources (gcloud's default name, which the cloud-build action uses without staging_dir)."
  value       = google_storage_bucket.source.name
}

output "logs_bucket" {
  description = "The build logs bucket, as the cloud-build action's logs_bucket input (gs://BUCKET)."
  value       = "gs://${google_storage_bucket.logs.name}"
}

output "runner_service_account" {
  description = "The e-mail of the account builds run as (the cloud-build action's service_account input)."
  value       = local.runner_email
}

output "runner_member" {
  description = "The IAM member of the runner account, for the registry's writers."
  value       = local.runner_member
}

output "runner_roles" {
  description = "The runner's roles by resource (roles.json), e.g. runner_roles.repository for the registry."
  value       = local.runner_roles
}
