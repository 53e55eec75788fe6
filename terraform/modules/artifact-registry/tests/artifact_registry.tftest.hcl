mock_provider "google" {}

variables {
  project = "twittix-prod"
  region  = "europe-west1"
  writers = {
    build  = { member = "serviceAccount:github-build@twittix-prod.iam.gserviceaccount.com", roles = ["roles/artifactregistry.writer"] }
    runner = { member = "serviceAccount:cloud-build-runner@twittix-prod.iam.gserviceaccount.com", roles = ["roles/artifactregistry.writer"] }
  }
  readers = {
    web = "serviceAccount:run-web@twittix-prod.iam.gserviceaccount.com"
    api = "serviceAccount:run-api@twittix-prod.iam.gserviceaccount.com"
  }
}

run "cleanup_policies" {
  command = plan

  assert {
    condition     = google_artifact_registry_repository.this.format == "DOCKER" && output.url == "europe-west1-docker.pkg.dev/twittix-prod/services"
    error_message = "A Docker repository at REGION-docker.pkg.dev/PROJECT/services."
  }

  assert {
    condition     = sort([for p in google_artifact_registry_repository.this.cleanup_policies : "${p.id}:${p.action}"]) == tolist(["delete-old-tagged:DELETE", "delete-untagged:DELETE", "keep-recent-tagged:KEEP"])
    error_message = "Keep the recent tagged versions, delete untagged ones and old tagged ones."
  }

  assert {
    condition     = one([for p in google_artifact_registry_repository.this.cleanup_policies : p.most_recent_versions[0].keep_count if p.id == "keep-recent-tagged"]) == 20
    error_message = "The 20 most recent versions are kept."
  }

  assert {
    condition     = one([for p in google_artifact_registry_repository.this.cleanup_policies : p.condition[0].older_than if p.id == "delete-untagged"]) == "604800s" && one([for p in google_artifact_registry_repository.this.cleanup_policies : p.condition[0].tag_state if p.id == "delete-untagged"]) == "UNTAGGED"
    error_message = "Untagged versions go after 7 days."
  }
}

run "writers_and_readers" {
  command = plan

  assert {
    condition     = sort([for g in google_artifact_registry_repository_iam_member.writer : "${g.member} ${g.role}"]) == tolist(["serviceAccount:cloud-build-runner@twittix-prod.iam.gserviceaccount.com roles/artifactregistry.writer", "serviceAccount:github-build@twittix-prod.iam.gserviceaccount.com roles/artifactregistry.writer"])
    error_message = "The build identity and the runner write."
  }

  assert {
    condition     = keys(google_artifact_registry_repository_iam_member.reader) == ["api", "web"] && alltrue([for g in google_artifact_registry_repository_iam_member.reader : g.role == "roles/artifactregistry.reader"])
    error_message = "Each runtime account reads."
  }
}

run "keep_none" {
  command = plan

  variables {
    keep_tagged = 0
  }

  expect_failures = [var.keep_tagged]
}
