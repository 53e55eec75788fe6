# One service: its own runtime account, which alone reads the service's secrets; Direct VPC
# egress, probes and scaling as asked. (The lifecycle ignore_changes cannot show in a plan:
# terraform/lifecycle_test.go reads it.)

mock_provider "google" {
  mock_resource "google_service_account" {
    override_during = plan
    defaults = {
      email  = "run-web@twittix-prod.iam.gserviceaccount.com"
      member = "serviceAccount:run-web@twittix-prod.iam.gserviceaccount.com"
      name   = "projects/twittix-prod/serviceAccounts/run-web@twittix-prod.iam.gserviceaccount.com"
    }
  }
}

variables {
  project    = "twittix-prod"
  region     = "europe-west1"
  name       = "web"
  network    = "projects/twittix-prod/global/networks/twittix"
  subnetwork = "projects/twittix-prod/regions/europe-west1/subnetworks/twittix-run-europe-west1"
  public     = true
  secret_env = {
    DB_PASSWORD = { secret = "web-db-password" }
    API_KEY     = { secret = "web-api-key", version = "3" }
  }
  secret_files = {
    tls = { secret = "web-tls-key", mount_path = "/secrets/tls", file_name = "key.pem" }
    # The same secret as a variable and as a file: one grant.
    db = { secret = "web-db-password", mount_path = "/secrets/db" }
  }
  deployers     = { release = "serviceAccount:github-release@twittix-prod.iam.gserviceaccount.com" }
  min_instances = 1
  max_instances = 5
}

run "secrets_are_read_by_the_runtime_account_only" {
  command = plan

  assert {
    condition     = keys(google_secret_manager_secret_iam_member.runtime) == ["web-api-key", "web-db-password", "web-tls-key"]
    error_message = "Each secret the service reads gets exactly one grant: ${jsonencode(keys(google_secret_manager_secret_iam_member.runtime))}"
  }

  assert {
    condition     = alltrue([for g in google_secret_manager_secret_iam_member.runtime : g.member == "serviceAccount:run-web@twittix-prod.iam.gserviceaccount.com" && g.role == "roles/secretmanager.secretAccessor"])
    error_message = "secretAccessor goes to the service's runtime account, and nothing else."
  }

  assert {
    condition     = google_cloud_run_v2_service.this.template[0].service_account == "run-web@twittix-prod.iam.gserviceaccount.com"
    error_message = "The revisions run as the service's own account."
  }

  assert {
    condition     = google_service_account.runtime.account_id == "run-web"
    error_message = "The runtime account is run-NAME."
  }

  assert {
    condition     = sort([for e in google_cloud_run_v2_service.this.template[0].containers[0].env : "${e.name}=${e.value_source[0].secret_key_ref[0].secret}:${e.value_source[0].secret_key_ref[0].version}" if length(e.value_source) > 0]) == tolist(["API_KEY=web-api-key:3", "DB_PASSWORD=web-db-password:latest"])
    error_message = "The secret variables read their secrets by reference."
  }

  assert {
    condition     = length(google_cloud_run_v2_service.this.template[0].volumes) == 2 && length(google_cloud_run_v2_service.this.template[0].containers[0].volume_mounts) == 2
    error_message = "Each secret file is a volume mounted in the container."
  }
}

run "release_may_act_as_the_runtime_account_only" {
  command = plan

  assert {
    condition     = length(google_service_account_iam_member.deployer) == 1 && google_service_account_iam_member.deployer["release/roles/iam.serviceAccountUser"].member == "serviceAccount:github-release@twittix-prod.iam.gserviceaccount.com"
    error_message = "The release identity gets roles/iam.serviceAccountUser on the runtime account."
  }

  assert {
    condition     = google_service_account_iam_member.deployer["release/roles/iam.serviceAccountUser"].service_account_id == google_service_account.runtime.name
    error_message = "The grant is on the runtime account, not on the project."
  }
}

run "shape_of_the_service" {
  command = plan

  assert {
    condition     = google_cloud_run_v2_service.this.template[0].vpc_access[0].network_interfaces[0].subnetwork == var.subnetwork && google_cloud_run_v2_service.this.template[0].vpc_access[0].egress == "ALL_TRAFFIC"
    error_message = "The service uses Direct VPC egress through the subnet, all traffic (outbound calls leave by Cloud NAT)."
  }

  assert {
    condition     = google_cloud_run_v2_service.this.template[0].scaling[0].min_instance_count == 1 && google_cloud_run_v2_service.this.template[0].scaling[0].max_instance_count == 5
    error_message = "Scaling follows min_instances and max_instances."
  }

  assert {
    condition     = google_cloud_run_v2_service.this.template[0].containers[0].startup_probe[0].http_get[0].path == "/healthz" && google_cloud_run_v2_service.this.template[0].containers[0].liveness_probe[0].http_get[0].path == "/healthz"
    error_message = "Startup and liveness probes request /healthz."
  }

  assert {
    condition     = google_cloud_run_v2_service.this.template[0].containers[0].resources[0].limits == tomap({ cpu = "1", memory = "512Mi" })
    error_message = "CPU and memory limits default to 1 and 512Mi."
  }

  assert {
    condition     = length(google_cloud_run_v2_service_iam_member.public) == 1 && google_cloud_run_v2_service_iam_member.public[0].member == "allUsers"
    error_message = "A public service may be invoked by anyone."
  }
}

run "private_service" {
  command = plan

  variables {
    public       = false
    ingress      = "INGRESS_TRAFFIC_INTERNAL_ONLY"
    secret_env   = {}
    secret_files = {}
  }

  assert {
    condition     = length(google_cloud_run_v2_service_iam_member.public) == 0 && length(google_secret_manager_secret_iam_member.runtime) == 0
    error_message = "A private service without secrets has no invoker grant and no secret grant."
  }
}

run "invalid_service_name" {
  command = plan

  variables {
    name = "Web_App"
  }

  expect_failures = [var.name]
}

run "min_instances_over_max" {
  command = plan

  variables {
    min_instances = 6
    max_instances = 5
  }

  expect_failures = [var.max_instances]
}

run "relative_secret_mount" {
  command = plan

  variables {
    secret_files = { tls = { secret = "web-tls-key", mount_path = "secrets/tls" } }
  }

  expect_failures = [var.secret_files]
}
