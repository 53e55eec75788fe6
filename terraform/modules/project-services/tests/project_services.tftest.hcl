mock_provider "google" {}

variables {
  project = "twittix-prod"
}

run "apis_the_rest_needs" {
  command = plan

  assert {
    condition = keys(google_project_service.this) == ["artifactregistry.googleapis.com", "cloudbuild.googleapis.com", "cloudresourcemanager.googleapis.com", "compute.googleapis.com", "iam.googleapis.com", "iamcredentials.googleapis.com", "logging.googleapis.com",
    "monitoring.googleapis.com", "run.googleapis.com", "secretmanager.googleapis.com", "storage.googleapis.com", "sts.googleapis.com"]
    error_message = "The APIs of run, cloudbuild, artifactregistry, secretmanager, iam, iamcredentials, sts, monitoring, logging, compute and storage are enabled."
  }

  assert {
    condition     = alltrue([for s in google_project_service.this : s.disable_on_destroy == false])
    error_message = "A destroy leaves the APIs enabled."
  }
}

run "not_an_api" {
  command = plan

  variables {
    services = ["run"]
  }

  expect_failures = [var.services]
}
