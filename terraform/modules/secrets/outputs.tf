output "ids" {
  description = "The secret IDs created."
  value       = sort(keys(google_secret_manager_secret.this))
}

output "names" {
  description = "The secrets' resource names (projects/NUMBER/secrets/ID), keyed by secret ID."
  value       = { for id, s in google_secret_manager_secret.this : id => s.name }
}
