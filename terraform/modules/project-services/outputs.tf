output "services" {
  description = "The APIs enabled, keyed by service name; depend on this output to wait for them."
  value       = { for k, s in google_project_service.this : k => s.id }
}
