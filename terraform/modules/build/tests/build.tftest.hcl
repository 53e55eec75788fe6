# The buckets the cloud-build action uploads to and streams from, and the runner builds run as.

mock_provider "google" {}

variables {
  project    = "twittix-prod"
  location   = "europe-west1"
  submitters = { build = "serviceAccount:github-build@twittix-prod.iam.gserviceaccount.com" }
  submitter_roles = {
    source_bucket          = ["roles/storage.legacyBucketWriter"]
    logs_bucket            = ["roles/storage.objectViewer"]
    runner_service_account = ["roles/iam.serviceAccountUser"]
    repository             = ["roles/artifactregistry.writer"]
  }
}

run "buckets_the_action_uses" {
  command = plan

  assert {
    condition     = google_storage_bucket.source.name == "twittix-prod_cloudbuild"
    error_message = "The source bucket is gcloud's default staging bucket, which the action uses without staging_dir."
  }

  assert {
    condition     = output.logs_bucket == "gs://twittix-prod-cloudbuild-logs"
    error_message = "production.yml passes gs://PROJECT-cloudbuild-logs as logs_bucket."
  }

  assert {
    condition     = output.runner_service_account == "cloud-build-runner@twittix-prod.iam.gserviceaccount.com"
    error_message = "production.yml passes cloud-build-runner@PROJECT as service_account."
  }

  assert {
    condition     = google_storage_bucket.source.uniform_bucket_level_access && google_storage_bucket.logs.uniform_bucket_level_access && google_storage_bucket.source.public_access_prevention == "enforced"
    error_message = "Both buckets use uniform bucket-level access and refuse public access."
  }

  assert {
    condition     = one(google_storage_bucket.source.lifecycle_rule[0].condition).age == 7 && one(google_storage_bucket.logs.lifecycle_rule[0].condition).age == 90 && one(google_storage_bucket.logs.lifecycle_rule[0].action).type == "Delete"
    error_message = "Sources are deleted after 7 days, logs after 90."
  }
}

run "grants" {
  command = plan

  assert {
    condition     = sort([for g in google_storage_bucket_iam_member.submitter : "${g.bucket} ${g.role}"]) == tolist(["twittix-prod-cloudbuild-logs roles/storage.objectViewer", "twittix-prod_cloudbuild roles/storage.legacyBucketWriter"])
    error_message = "The build identity writes sources and reads logs, on those two buckets only."
  }

  assert {
    condition     = length(google_service_account_iam_member.submitter) == 1 && google_service_account_iam_member.submitter["runner_service_account/build/roles/iam.serviceAccountUser"].member == "serviceAccount:github-build@twittix-prod.iam.gserviceaccount.com"
    error_message = "The build identity may name the runner in its builds (actAs on the runner only)."
  }

  assert {
    condition     = keys(google_project_iam_member.runner) == ["roles/logging.logWriter"]
    error_message = "The runner's only project role writes logs."
  }
}

# gcloud's rules for domain-scoped projects (pkg/cloudbuild.DefaultStagingBucket; names_test.go
# checks this expected name against the Go function).
run "domain_scoped_project" {
  command = plan

  variables {
    project = "google.com:twittix"
  }

  assert {
    condition     = google_storage_bucket.source.name == "elgoog_com_twittix_cloudbuild"
    error_message = "The staging bucket of google.com:twittix is elgoog_com_twittix_cloudbuild, got ${google_storage_bucket.source.name}."
  }
}

run "unknown_resource_kind" {
  command = plan

  variables {
    submitter_roles = { everything = ["roles/owner"] }
  }

  expect_failures = [var.submitter_roles]
}
