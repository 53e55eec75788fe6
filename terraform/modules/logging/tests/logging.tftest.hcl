mock_provider "google" {}

variables {
  project = "twittix-prod"
}

run "retention_and_exclusions" {
  command = plan

  assert {
    condition     = google_logging_project_bucket_config.default.bucket_id == "_Default" && google_logging_project_bucket_config.default.retention_days == 30
    error_message = "The _Default bucket keeps logs 30 days."
  }

  assert {
    condition     = keys(google_logging_project_exclusion.this) == ["healthz"] && length(google_logging_project_sink.this) == 0
    error_message = "Health checks are excluded; no sink unless asked."
  }
}

run "sink_to_bigquery" {
  command = plan

  variables {
    sink = { name = "run-to-bq", type = "bigquery", destination = "run_logs" }
  }

  assert {
    condition     = google_logging_project_sink.this[0].destination == "bigquery.googleapis.com/projects/twittix-prod/datasets/run_logs" && google_logging_project_sink.this[0].unique_writer_identity
    error_message = "The sink writes to the dataset with its own identity."
  }

  assert {
    condition     = length(google_bigquery_dataset_iam_member.sink) == 1 && length(google_storage_bucket_iam_member.sink) == 0
    error_message = "The sink's identity may write to the dataset only."
  }
}

run "sink_of_unknown_type" {
  command = plan

  variables {
    sink = { name = "s", type = "pubsub", destination = "t" }
  }

  expect_failures = [var.sink]
}

run "retention_too_long" {
  command = plan

  variables {
    retention_days = 4000
  }

  expect_failures = [var.retention_days]
}
