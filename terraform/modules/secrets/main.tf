# The secrets exist here; their values never do. A value is added outside Terraform
# (gcloud secrets versions add ID --data-file=-), so it is neither in the code nor in the state.
# No IAM here: cloud-run-service grants secretAccessor on each secret to the one runtime account
# that reads it.
resource "google_secret_manager_secret" "this" {
  for_each = var.secrets

  project   = var.project
  secret_id = each.key
  labels    = merge(var.labels, each.value.labels)

  replication {
    dynamic "auto" {
      for_each = length(each.value.replica_locations) == 0 ? [1] : []
      content {}
    }

    dynamic "user_managed" {
      for_each = length(each.value.replica_locations) > 0 ? [1] : []
      content {
        dynamic "replicas" {
          for_each = each.value.replica_locations
          content {
            location = replicas.value
          }
        }
      }
    }
  }

  # Secret Manager announces a due rotation on the topic; whoever holds the credential rotates it.
  dynamic "rotation" {
    for_each = each.value.rotation_period_days == null ? [] : [each.value.rotation_period_days]
    content {
      rotation_period    = "${rotation.value * 86400}s"
      next_rotation_time = timeadd(plantimestamp(), "${rotation.value * 24}h")
    }
  }

  dynamic "topics" {
    for_each = each.value.rotation_period_days == null ? [] : [var.rotation_topic]
    content {
      name = topics.value
    }
  }

  lifecycle {
    # Secret Manager moves next_rotation_time forward at each rotation.
    ignore_changes = [rotation[0].next_rotation_time]
  }
}
