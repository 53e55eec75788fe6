# The APIs the other modules and the three actions call. Disabling a service on destroy would
# break whatever else uses the project, so destroy leaves them enabled.
resource "google_project_service" "this" {
  for_each = toset(var.services)

  project                    = var.project
  service                    = each.value
  disable_on_destroy         = false
  disable_dependent_services = false
}
