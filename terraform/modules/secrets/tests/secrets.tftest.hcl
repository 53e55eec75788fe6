mock_provider "google" {}

variables {
  project = "twittix-prod"
  secrets = {
    web-session-key = {}
    api-db-password = { replica_locations = ["europe-west1", "europe-west4"], rotation_period_days = 30 }
  }
  rotation_topic = "projects/twittix-prod/topics/secret-rotation"
}

run "secrets_without_values" {
  command = plan

  assert {
    condition     = output.ids == tolist(["api-db-password", "web-session-key"])
    error_message = "One secret per entry."
  }

  assert {
    condition     = length(google_secret_manager_secret.this["web-session-key"].replication[0].auto) == 1
    error_message = "Automatic replication without replica_locations."
  }

  assert {
    condition     = length(google_secret_manager_secret.this["api-db-password"].replication[0].user_managed[0].replicas) == 2
    error_message = "User-managed replication to the locations given."
  }

  assert {
    condition     = google_secret_manager_secret.this["api-db-password"].rotation[0].rotation_period == "2592000s" && length(google_secret_manager_secret.this["web-session-key"].rotation) == 0
    error_message = "A rotation period only where asked."
  }
}

run "rotation_without_topic" {
  command = plan

  variables {
    rotation_topic = ""
  }

  expect_failures = [var.rotation_topic]
}
