locals {
  # The runtime account's e-mail and member, known at plan time.
  runtime_email  = "${google_service_account.runtime.account_id}@${var.project}.iam.gserviceaccount.com"
  runtime_member = "serviceAccount:${local.runtime_email}"

  # The secrets the service reads, each granted once to the runtime account.
  secret_ids = toset(concat(
    [for e in values(var.secret_env) : e.secret],
    [for f in values(var.secret_files) : f.secret],
  ))
}

# The service's own identity: it reaches only what is granted to it below.
resource "google_service_account" "runtime" {
  project      = var.project
  account_id   = coalesce(var.runtime_account_id, substr("run-${var.name}", 0, 30))
  display_name = "Cloud Run runtime of ${var.name}"
}

# secretAccessor on each secret the service reads, to this service's account only.
resource "google_secret_manager_secret_iam_member" "runtime" {
  for_each = local.secret_ids

  project   = var.project
  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = local.runtime_member
}

# The release identity deploys revisions that run as this account: it must act as it (and only
# as the runtime accounts, never as itself or the build identity).
resource "google_service_account_iam_member" "deployer" {
  for_each = { for pair in setproduct(keys(var.deployers), var.deployer_roles) : "${pair[0]}/${pair[1]}" => { member = var.deployers[pair[0]], role = pair[1] } }

  service_account_id = google_service_account.runtime.name
  role               = each.value.role
  member             = each.value.member
}

resource "google_cloud_run_v2_service" "this" {
  project             = var.project
  location            = var.region
  name                = var.name
  description         = var.description
  ingress             = var.ingress
  labels              = var.labels
  deletion_protection = var.deletion_protection

  template {
    service_account                  = local.runtime_email
    max_instance_request_concurrency = var.concurrency
    timeout                          = "${var.request_timeout_seconds}s"
    labels                           = var.labels

    scaling {
      min_instance_count = var.min_instances
      max_instance_count = var.max_instances
    }

    # Direct VPC egress: the revision's instances get addresses in the subnet; outbound calls to
    # the internet leave through the network's Cloud NAT.
    vpc_access {
      egress = var.vpc_egress
      network_interfaces {
        network    = var.network
        subnetwork = var.subnetwork
      }
    }

    containers {
      # Only the first deploy uses this image: from then on the promote action owns it.
      image = var.initial_image

      ports {
        container_port = var.port
      }

      resources {
        limits = {
          cpu    = var.cpu
          memory = var.memory
        }
        cpu_idle          = var.cpu_idle
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = var.env
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = var.secret_env
        content {
          name = env.key
          value_source {
            secret_key_ref {
              secret  = env.value.secret
              version = env.value.version
            }
          }
        }
      }

      dynamic "volume_mounts" {
        for_each = var.secret_files
        content {
          name       = "secret-${volume_mounts.key}"
          mount_path = volume_mounts.value.mount_path
        }
      }

      startup_probe {
        initial_delay_seconds = 0
        period_seconds        = var.startup_probe.period_seconds
        timeout_seconds       = var.startup_probe.timeout_seconds
        failure_threshold     = var.startup_probe.failure_threshold
        http_get {
          path = var.startup_probe.path
          port = var.port
        }
      }

      liveness_probe {
        period_seconds    = var.liveness_probe.period_seconds
        timeout_seconds   = var.liveness_probe.timeout_seconds
        failure_threshold = var.liveness_probe.failure_threshold
        http_get {
          path = var.liveness_probe.path
          port = var.port
        }
      }
    }

    dynamic "volumes" {
      for_each = var.secret_files
      content {
        name = "secret-${volumes.key}"
        secret {
          secret = volumes.value.secret
          items {
            path    = volumes.value.file_name
            version = volumes.value.version
          }
        }
      }
    }
  }

  # What the actions own. promote deploys each release as a new revision (image, revision name),
  # moves traffic, records the previous split and its change in two service annotations, and the
  # Google client libraries stamp client/client_version: an apply must never roll an image back,
  # move traffic or undo a promotion. The labels are Terraform's (var.labels, on the service and
  # the revision): promote sets only the keys of its `labels` input, and no workflow of this
  # repository passes one. A key a workflow gives promote must be listed here, both as
  # labels["KEY"] and template[0].labels["KEY"] (the service's labels are non-authoritative, so
  # keys Terraform does not set are left alone, but the template's are replaced as a whole).
  # terraform/lifecycle_test.go checks this list in every Cloud Run service against the workflows.
  lifecycle {
    ignore_changes = [
      client,
      client_version,
      traffic,
      annotations["twittix-infra/previous-traffic"],
      annotations["twittix-infra/last-change"],
      template[0].revision,
      template[0].containers[0].image,
    ]
  }

  depends_on = [google_secret_manager_secret_iam_member.runtime]
}

# A public service answers anyone: Cloud Run checks the invoker role before the container runs.
resource "google_cloud_run_v2_service_iam_member" "public" {
  count = var.public ? 1 : 0

  project  = var.project
  location = google_cloud_run_v2_service.this.location
  name     = google_cloud_run_v2_service.this.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}
