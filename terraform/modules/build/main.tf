locals {
  # The Cloud Build runner's roles as data (see ROLES.md), next to the GitHub identities' ones.
  runner_roles = jsondecode(file("${path.module}/roles.json")).runner

  # gcloud's default staging bucket, which the cloud-build action uses when staging_dir is empty
  # (pkg/cloudbuild.DefaultStagingBucket): created here so that it belongs to this project.
  source_bucket = "${replace(replace(replace(var.project, ":", "_"), ".", "_"), "google", "elgoog")}_cloudbuild"
  logs_bucket   = "${var.project}-cloudbuild-logs"

  submitter_grants = merge([
    for kind, roles in var.submitter_roles : {
      for pair in setproduct(keys(var.submitters), roles) : "${kind}/${pair[0]}/${pair[1]}" => { kind = kind, member = var.submitters[pair[0]], role = pair[1] }
    }
  ]...)

  runner_email  = "${google_service_account.runner.account_id}@${var.project}.iam.gserviceaccount.com"
  runner_member = "serviceAccount:${local.runner_email}"

  buckets = {
    source_bucket = google_storage_bucket.source.name
    logs_bucket   = google_storage_bucket.logs.name
  }
}

resource "google_storage_bucket" "source" {
  project                     = var.project
  name                        = local.source_bucket
  location                    = var.location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = var.labels

  # The source archives of builds: useless once the build ran.
  lifecycle_rule {
    condition {
      age = var.source_max_age_days
    }
    action {
      type = "Delete"
    }
  }
}

# Cloud Build writes log-BUILD_ID.txt here and the cloud-build action streams it with byte ranges.
# No retention policy: Cloud Build could not write its log into a bucket that has one.
resource "google_storage_bucket" "logs" {
  project                     = var.project
  name                        = local.logs_bucket
  location                    = var.location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = var.labels

  lifecycle_rule {
    condition {
      age = var.logs_max_age_days
    }
    action {
      type = "Delete"
    }
  }
}

# The account builds run as (the cloud-build action's service_account): it reads the source,
# writes the log and pushes images, and nothing else.
resource "google_service_account" "runner" {
  project      = var.project
  account_id   = var.runner_account_id
  display_name = "Cloud Build runner"
  description  = "The account Cloud Build builds run as: reads sources, writes build logs, pushes images."
}

resource "google_project_iam_member" "runner" {
  for_each = toset(local.runner_roles.project)

  project = var.project
  role    = each.value
  member  = local.runner_member
}

resource "google_storage_bucket_iam_member" "runner_source" {
  for_each = toset(local.runner_roles.source_bucket)

  bucket = google_storage_bucket.source.name
  role   = each.value
  member = local.runner_member
}

resource "google_storage_bucket_iam_member" "runner_logs" {
  for_each = toset(local.runner_roles.logs_bucket)

  bucket = google_storage_bucket.logs.name
  role   = each.value
  member = local.runner_member
}

# The identities that submit builds (the GitHub build account): on the two buckets and on the
# runner account they name in each build (actAs), with the roles of github-oidc's
# resource_roles.json. roles/storage.legacyBucketWriter on the source bucket: the action reads the
# bucket (storage.buckets.get) before it uploads; the role's other permissions (list, delete
# objects) reach this bucket of throw-away archives only.
resource "google_storage_bucket_iam_member" "submitter" {
  for_each = { for k, g in local.submitter_grants : k => g if contains(keys(local.buckets), g.kind) }

  bucket = local.buckets[each.value.kind]
  role   = each.value.role
  member = each.value.member
}

resource "google_service_account_iam_member" "submitter" {
  for_each = { for k, g in local.submitter_grants : k => g if g.kind == "runner_service_account" }

  service_account_id = google_service_account.runner.name
  role               = each.value.role
  member             = each.value.member
}
