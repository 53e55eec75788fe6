output "repository_id" {
  description = "The repository ID."
  value       = google_artifact_registry_repository.this.repository_id
}

output "url" {
  description = "The repository's image prefix, REGION-docker.pkg.dev/PROJECT/REPOSITORY: an image is URL/SERVICE."
  value       = "${var.region}-docker.pkg.dev/${var.project}/${google_artifact_registry_repository.this.repository_id}"
}
