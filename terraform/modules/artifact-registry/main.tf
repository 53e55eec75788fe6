resource "google_artifact_registry_repository" "this" {
  project       = var.project
  location      = var.region
  repository_id = var.repository_id
  format        = "DOCKER"
  description   = "Images of the twittix services, pushed by Cloud Build and deployed to Cloud Run."
  labels        = var.labels

  docker_config {
    # An image is deployed by digest, but tags name releases (sha-1a2b3c4): never move one.
    immutable_tags = var.immutable_tags
  }

  cleanup_policy_dry_run = var.cleanup_dry_run

  # KEEP wins over DELETE: the most recent tagged versions of each image stay whatever their age,
  # older tagged versions go after tagged_max_age, untagged ones after untagged_max_age.
  cleanup_policies {
    id     = "keep-recent-tagged"
    action = "KEEP"
    most_recent_versions {
      keep_count = var.keep_tagged
    }
  }

  cleanup_policies {
    id     = "delete-old-tagged"
    action = "DELETE"
    condition {
      tag_state  = "TAGGED"
      older_than = "${var.tagged_max_age_days * 86400}s"
    }
  }

  cleanup_policies {
    id     = "delete-untagged"
    action = "DELETE"
    condition {
      tag_state  = "UNTAGGED"
      older_than = "${var.untagged_max_age_days * 86400}s"
    }
  }
}

# The build identity and the build runner push images (Cloud Build pushes as the account the
# build runs as), with the roles their JSON files give them, on this repository only.
resource "google_artifact_registry_repository_iam_member" "writer" {
  for_each = merge([
    for name, w in var.writers : { for role in w.roles : "${name}/${role}" => { member = w.member, role = role } }
  ]...)

  project    = var.project
  location   = google_artifact_registry_repository.this.location
  repository = google_artifact_registry_repository.this.name
  role       = each.value.role
  member     = each.value.member
}

# Each runtime account reads (pulls) images of this repository only.
resource "google_artifact_registry_repository_iam_member" "reader" {
  for_each = var.readers

  project    = var.project
  location   = google_artifact_registry_repository.this.location
  repository = google_artifact_registry_repository.this.name
  role       = "roles/artifactregistry.reader"
  member     = each.value
}
