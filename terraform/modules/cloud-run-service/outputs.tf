output "name" {
  description = "The Cloud Run service name."
  value       = google_cloud_run_v2_service.this.name
}

output "url" {
  description = "The service's URL (https://NAME-HASH-REGION.run.app)."
  value       = google_cloud_run_v2_service.this.uri
}

output "runtime_service_account" {
  description = "The e-mail of the service's runtime account."
  value       = local.runtime_email
}

output "runtime_member" {
  description = "The IAM member of the runtime account (serviceAccount:EMAIL)."
  value       = local.runtime_member
}

output "secret_ids" {
  description = "The secrets the runtime account may read."
  value       = sort(tolist(local.secret_ids))
}
