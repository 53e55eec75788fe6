# The retention of the project's _Default log bucket (where the services' logs land).
resource "google_logging_project_bucket_config" "default" {
  project        = var.project
  location       = "global"
  bucket_id      = "_Default"
  retention_days = var.retention_days
}

# An optional copy of selected logs to BigQuery or Cloud Storage, for longer keeping or analysis.
resource "google_logging_project_sink" "this" {
  count = var.sink == null ? 0 : 1

  project                = var.project
  name                   = var.sink.name
  destination            = var.sink.type == "bigquery" ? "bigquery.googleapis.com/projects/${var.project}/datasets/${var.sink.destination}" : "storage.googleapis.com/${var.sink.destination}"
  filter                 = var.sink.filter
  unique_writer_identity = true

  dynamic "bigquery_options" {
    for_each = var.sink.type == "bigquery" ? [1] : []
    content {
      use_partitioned_tables = true
    }
  }
}

# The sink's own identity may write to its destination, and only there.
resource "google_bigquery_dataset_iam_member" "sink" {
  count = var.sink != null && try(var.sink.type, "") == "bigquery" ? 1 : 0

  project    = var.project
  dataset_id = var.sink.destination
  role       = "roles/bigquery.dataEditor"
  member     = google_logging_project_sink.this[0].writer_identity
}

resource "google_storage_bucket_iam_member" "sink" {
  count = var.sink != null && try(var.sink.type, "") == "storage" ? 1 : 0

  bucket = var.sink.destination
  role   = "roles/storage.objectCreator"
  member = google_logging_project_sink.this[0].writer_identity
}

# Logs nobody reads, dropped before they are stored (and paid for).
resource "google_logging_project_exclusion" "this" {
  for_each = var.exclusions

  project     = var.project
  name        = each.key
  description = each.value.description
  filter      = each.value.filter
}
