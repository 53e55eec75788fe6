# The root module: one entry of `services` yields a full set (runtime account, secrets and their
# access, Cloud Run service, uptime check and alerts when public, dashboard); bad variables fail.

mock_provider "google" {
  mock_resource "google_iam_workload_identity_pool" {
    override_during = plan
    defaults = {
      name = "projects/123456789/locations/global/workloadIdentityPools/github"
    }
  }
  mock_resource "google_iam_workload_identity_pool_provider" {
    override_during = plan
    defaults = {
      name = "projects/123456789/locations/global/workloadIdentityPools/github/providers/github"
    }
  }
  mock_resource "google_cloud_run_v2_service" {
    override_during = plan
    defaults = {
      uri = "https://service-abcdefghij-ew.a.run.app"
    }
  }
}

variables {
  project             = "twittix-prod"
  region              = "europe-west1"
  github_organisation = "twittix"
  services = {
    web = {
      secret_env = { SESSION_KEY = { secret = "web-session-key" } }
    }
    api = {
      max_instances = 20
      secret_env    = { DB_PASSWORD = { secret = "api-db-password" } }
      secret_files  = { tls = { secret = "api-tls-key", mount_path = "/secrets/tls" } }
    }
  }
}

run "two_services_two_full_sets" {
  command = plan

  assert {
    condition     = keys(module.service) == ["api", "web"]
    error_message = "Each entry of services is a Cloud Run service."
  }

  assert {
    condition     = module.service["web"].runtime_service_account == "run-web@twittix-prod.iam.gserviceaccount.com" && module.service["api"].runtime_service_account == "run-api@twittix-prod.iam.gserviceaccount.com"
    error_message = "Each service has its own runtime account."
  }

  assert {
    condition     = module.service["web"].secret_ids == tolist(["web-session-key"]) && module.service["api"].secret_ids == tolist(["api-db-password", "api-tls-key"])
    error_message = "Each runtime account reads its own service's secrets only."
  }

  assert {
    condition     = module.secrets.ids == tolist(["api-db-password", "api-tls-key", "web-session-key"])
    error_message = "Every secret a service reads exists (created without a value)."
  }

  assert {
    condition     = keys(module.monitoring.uptime_check_ids) == ["api", "web"] && keys(module.monitoring.alert_policies) == ["api", "web"]
    error_message = "Each public service has an uptime check and alert policies."
  }

  assert {
    condition     = alltrue([for k, p in module.monitoring.alert_policies : length(p) == 3])
    error_message = "Each public service has three alert policies: uptime, 5xx ratio, p99 latency."
  }

  assert {
    condition     = keys(module.monitoring.dashboards) == ["api", "web"]
    error_message = "Each service has a dashboard."
  }

  assert {
    condition     = keys(output.service_urls) == ["api", "web"] && output.service_urls["web"] == "https://service-abcdefghij-ew.a.run.app"
    error_message = "The outputs give each service's URL."
  }
}

run "outputs_wire_github" {
  command = plan

  assert {
    condition     = output.workload_identity_provider == "projects/123456789/locations/global/workloadIdentityPools/github/providers/github"
    error_message = "The WIF provider output is the provider's full name."
  }

  assert {
    condition     = output.release_service_account != output.build_service_account
    error_message = "The build and release accounts are two outputs, two accounts."
  }

  assert {
    condition     = output.registry_url == "europe-west1-docker.pkg.dev/twittix-prod/services"
    error_message = "The registry URL is REGION-docker.pkg.dev/PROJECT/REPOSITORY."
  }

  assert {
    condition     = keys(output.github_variables) == ["twittix/api", "twittix/infra", "twittix/web"]
    error_message = "The gh commands wire each service's repository and the infra repository."
  }

  assert {
    condition     = strcontains(output.github_variables["twittix/web"], "gh variable set GCP_WIF_PROVIDER --repo twittix/web --body 'projects/123456789/locations/global/workloadIdentityPools/github/providers/github'")
    error_message = "The commands set GCP_WIF_PROVIDER to the provider's name."
  }

  assert {
    condition     = strcontains(output.github_variables["twittix/web"], "gh variable set GCP_IMAGE --repo twittix/web --body 'europe-west1-docker.pkg.dev/twittix-prod/services/web'")
    error_message = "The commands set GCP_IMAGE to the service's image."
  }

  assert {
    condition = alltrue([for v in ["GCP_PROJECT", "GCP_REGION", "GCP_WIF_PROVIDER", "GCP_BUILD_SA", "GCP_RELEASE_SA", "GCP_IMAGE"] :
    strcontains(output.github_variables["twittix/api"], "gh variable set ${v} --repo twittix/api ")])
    error_message = "A service repository gets every variable production.yml's callers use."
  }

  assert {
    condition = alltrue([for v in ["GCP_PROJECT", "GCP_REGION", "GCP_WIF_PROVIDER", "GCP_RELEASE_SA", "GCP_TF_PLAN_SA", "GCP_TF_APPLY_SA"] :
    strcontains(output.github_variables["twittix/infra"], "gh variable set ${v} --repo twittix/infra ")])
    error_message = "The infra repository gets the variables of promote.yml and terraform.yml."
  }
}

run "build_and_release_from_the_service_repositories" {
  command = plan

  variables {
    services = {
      web    = {}
      api    = { repository = "twittix/backend" }
      worker = { public = false, ingress = "INGRESS_TRAFFIC_INTERNAL_ONLY" }
    }
  }

  assert {
    condition     = keys(module.github_oidc.principals.build) == ["twittix/backend", "twittix/web", "twittix/worker"]
    error_message = "Only the services' repositories may use the build account: ${jsonencode(keys(module.github_oidc.principals.build))}"
  }

  assert {
    condition     = module.github_oidc.principals.release["twittix/backend"] == "principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/attribute.repository_environment/twittix/backend@production"
    error_message = "A service repository's production environment may use the release account."
  }

  assert {
    condition     = keys(module.github_oidc.principals.release) == ["twittix/backend", "twittix/infra", "twittix/web", "twittix/worker"]
    error_message = "Only the services' repositories and the infra repository (promote.yml) may use the release account: ${jsonencode(keys(module.github_oidc.principals.release))}"
  }
}

run "two_services_in_one_repository" {
  command = plan

  # A monorepo: two services deployed from one repository, and a service in the infra repository.
  variables {
    services = {
      web    = { repository = "twittix/backend" }
      api    = { repository = "twittix/backend" }
      status = { repository = "twittix/infra" }
    }
  }

  assert {
    condition     = keys(output.github_variables) == ["twittix/backend", "twittix/infra"]
    error_message = "One set of commands per repository: ${jsonencode(keys(output.github_variables))}"
  }

  assert {
    condition = alltrue([for v in [
      "GCP_IMAGE_WEB --repo twittix/backend --body 'europe-west1-docker.pkg.dev/twittix-prod/services/web'",
      "GCP_IMAGE_API --repo twittix/backend --body 'europe-west1-docker.pkg.dev/twittix-prod/services/api'",
      "GCP_REGISTRY --repo twittix/backend --body 'europe-west1-docker.pkg.dev/twittix-prod/services'",
      "GCP_BUILD_SA --repo twittix/backend ",
      "GCP_RELEASE_SA --repo twittix/backend ",
    ] : strcontains(output.github_variables["twittix/backend"], "gh variable set ${v}")])
    error_message = "A repository of two services gets each service's image (GCP_IMAGE_SERVICE) and the registry: ${output.github_variables["twittix/backend"]}"
  }

  assert {
    condition     = !strcontains(output.github_variables["twittix/backend"], "gh variable set GCP_IMAGE ")
    error_message = "A repository of two services has no single GCP_IMAGE: it would name one of them only."
  }

  assert {
    condition = alltrue([for v in ["GCP_TF_PLAN_SA", "GCP_TF_APPLY_SA", "GCP_RELEASE_SA", "GCP_BUILD_SA", "GCP_IMAGE", "GCP_IMAGE_STATUS"] :
    strcontains(output.github_variables["twittix/infra"], "gh variable set ${v} --repo twittix/infra ")])
    error_message = "A service in the infra repository adds its variables to promote.yml's and terraform.yml's, instead of replacing them: ${output.github_variables["twittix/infra"]}"
  }

  assert {
    condition     = keys(module.github_oidc.principals.build) == ["twittix/backend", "twittix/infra"]
    error_message = "The repositories of the services may build."
  }
}

run "repository_of_another_organisation" {
  command = plan

  variables {
    services = { web = { repository = "acme/web" } }
  }

  expect_failures = [var.services]
}

run "repository_not_owner_name" {
  command = plan

  variables {
    services = { web = { repository = "web" } }
  }

  expect_failures = [var.services]
}

run "plan_account_reads_the_state" {
  command = plan

  # What terraform/README.md says of the plan account: any workflow of the infra repository,
  # pull requests included, may use it, and it reads the state (so no secret value may be there).
  assert {
    condition     = google_storage_bucket_iam_member.state["terraform_plan"].bucket == "twittix-prod-tfstate" && google_storage_bucket_iam_member.state["terraform_plan"].role == "roles/storage.objectViewer" && google_storage_bucket_iam_member.state["terraform_plan"].member == "serviceAccount:terraform-plan@twittix-prod.iam.gserviceaccount.com"
    error_message = "The plan account reads the state bucket's objects, nothing more."
  }

  assert {
    condition     = module.github_oidc.principals.terraform_plan == { "twittix/infra" = "principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/attribute.repository/twittix/infra" }
    error_message = "Any workflow of the infra repository may use the plan account (README: The plan account reads the state)."
  }
}

run "private_service_has_no_uptime_check" {
  command = plan

  variables {
    services = {
      web    = {}
      worker = { public = false, ingress = "INGRESS_TRAFFIC_INTERNAL_ONLY" }
    }
  }

  assert {
    condition     = keys(module.service) == ["web", "worker"] && keys(module.monitoring.uptime_check_ids) == ["web"] && keys(module.monitoring.dashboards) == ["web", "worker"]
    error_message = "A private service has no uptime check or alerts, but has a dashboard."
  }
}

run "invalid_service_name" {
  command = plan

  variables {
    services = { "Web_App" = {} }
  }

  expect_failures = [var.services]
}

run "min_instances_over_max" {
  command = plan

  variables {
    services = { web = { min_instances = 5, max_instances = 2 } }
  }

  expect_failures = [var.services]
}

run "unknown_region" {
  command = plan

  variables {
    region = "europe-west42"
  }

  expect_failures = [var.region]
}

run "empty_organisation" {
  command = plan

  variables {
    github_organisation = ""
  }

  expect_failures = [var.github_organisation]
}
