# The Workload Identity pool admits the organisation's repositories only, and each identity gets
# exactly its roles. Plans only, against a mock of the google provider.

mock_provider "google" {
  mock_resource "google_iam_workload_identity_pool" {
    override_during = plan
    defaults = {
      name = "projects/123456789/locations/global/workloadIdentityPools/github"
    }
  }
}

variables {
  project              = "twittix-prod"
  organisation         = "twittix"
  service_repositories = ["twittix/web", "twittix/api"]
}

run "admits_only_the_organisation" {
  command = plan

  assert {
    condition     = google_iam_workload_identity_pool_provider.github.attribute_condition == "assertion.repository_owner == 'twittix'"
    error_message = "The provider must admit the tokens of the twittix organisation's repositories only, got: ${google_iam_workload_identity_pool_provider.github.attribute_condition}"
  }

  assert {
    condition     = google_iam_workload_identity_pool_provider.github.oidc[0].issuer_uri == "https://token.actions.githubusercontent.com"
    error_message = "The provider must trust GitHub Actions' issuer only."
  }

  assert {
    condition = alltrue([for k in ["google.subject", "attribute.repository_owner", "attribute.ref_protected", "attribute.environment", "attribute.repository_environment", "attribute.repository_protected"] :
    contains(keys(google_iam_workload_identity_pool_provider.github.attribute_mapping), k)])
    error_message = "The mapping must carry the claims the principal sets match on."
  }

  assert {
    condition     = google_iam_workload_identity_pool_provider.github.attribute_mapping["attribute.environment"] == "has(assertion.environment) ? assertion.environment : 'none'"
    error_message = "attribute.environment must come from the token's environment claim."
  }
}

run "build_and_release_from_the_service_repositories_only" {
  command = plan

  # Any member of the organisation can create a repository with an unprotected `production`
  # environment or protected branch: a principal on ref_protected or environment alone would
  # let it impersonate build or release. Each member names one repository.
  assert {
    condition = toset([for k, m in google_service_account_iam_member.workload_identity_user : m.member]) == toset([
      "principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/attribute.repository_protected/twittix/api@true",
      "principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/attribute.repository_protected/twittix/web@true",
      "principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/attribute.repository_environment/twittix/api@production",
      "principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/attribute.repository_environment/twittix/infra@production",
      "principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/attribute.repository_environment/twittix/web@production",
      "principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/attribute.repository/twittix/infra",
    ])
    error_message = "The GitHub principals changed: ${jsonencode([for k, m in google_service_account_iam_member.workload_identity_user : m.member])}"
  }

  assert {
    condition = {
      for k, m in google_service_account_iam_member.workload_identity_user : k => m.member
      } == {
      "build twittix/api"             = "principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/attribute.repository_protected/twittix/api@true"
      "build twittix/web"             = "principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/attribute.repository_protected/twittix/web@true"
      "release twittix/api"           = "principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/attribute.repository_environment/twittix/api@production"
      "release twittix/infra"         = "principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/attribute.repository_environment/twittix/infra@production"
      "release twittix/web"           = "principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/attribute.repository_environment/twittix/web@production"
      "terraform_plan twittix/infra"  = "principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/attribute.repository/twittix/infra"
      "terraform_apply twittix/infra" = "principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/attribute.repository_environment/twittix/infra@production"
    }
    error_message = "Each identity must be usable from its repositories only: build from the services' protected refs, release from their production environment and the infra repository's (promote.yml)."
  }

  assert {
    condition     = alltrue([for k, m in google_service_account_iam_member.workload_identity_user : !strcontains(m.member, "/attribute.environment/") && !strcontains(m.member, "/attribute.ref_protected/")])
    error_message = "No principal may match on the environment or the ref protection alone: any repository of the organisation can have those."
  }

  assert {
    condition     = google_iam_workload_identity_pool_provider.github.attribute_mapping["attribute.repository_protected"] == "assertion.repository + '@' + string(assertion.ref_protected)" && google_iam_workload_identity_pool_provider.github.attribute_mapping["attribute.repository_environment"] == "assertion.repository + '@' + (has(assertion.environment) ? assertion.environment : 'none')"
    error_message = "The principals match on REPOSITORY@PROTECTED and REPOSITORY@ENVIRONMENT, mapped from the token's claims."
  }

  assert {
    condition     = alltrue([for k, m in google_service_account_iam_member.workload_identity_user : m.role == "roles/iam.workloadIdentityUser"])
    error_message = "GitHub principals get roles/iam.workloadIdentityUser on their account, nothing more."
  }

  assert {
    condition     = toset([for k, m in google_service_account_iam_member.workload_identity_user : split(" ", k)[0]]) == toset(["build", "release", "terraform_plan", "terraform_apply"])
    error_message = "Exactly four accounts may be impersonated from GitHub: build, release, terraform_plan, terraform_apply."
  }
}

run "no_service_repository" {
  command = plan

  variables {
    service_repositories = []
  }

  assert {
    condition     = keys(google_service_account_iam_member.workload_identity_user) == ["release twittix/infra", "terraform_apply twittix/infra", "terraform_plan twittix/infra"]
    error_message = "Without services nobody builds, and only the infra repository's production environment releases (promote.yml)."
  }
}

run "service_repository_of_another_owner" {
  command = plan

  variables {
    service_repositories = ["twittix/web", "acme/web"]
  }

  expect_failures = [var.service_repositories]
}

run "service_repository_not_owner_name" {
  command = plan

  variables {
    service_repositories = ["web"]
  }

  expect_failures = [var.service_repositories]
}

run "exact_roles_of_each_identity" {
  command = plan

  assert {
    condition     = output.project_roles.build == tolist(["projects/twittix-prod/roles/twittixBuildSubmitter"])
    error_message = "The build account's project roles changed: ${jsonencode(output.project_roles.build)}"
  }

  assert {
    condition     = output.project_roles.release == tolist(["projects/twittix-prod/roles/twittixRunReleaser"])
    error_message = "The release account's project roles changed: ${jsonencode(output.project_roles.release)}"
  }

  assert {
    condition     = output.project_roles.terraform_plan == tolist(["roles/iam.securityReviewer", "roles/viewer"])
    error_message = "The Terraform plan account must stay read-only: ${jsonencode(output.project_roles.terraform_plan)}"
  }

  assert {
    condition = google_project_iam_custom_role.this["twittixBuildSubmitter"].permissions == toset([
      "cloudbuild.builds.create", "cloudbuild.builds.get", "cloudbuild.builds.update", "serviceusage.services.use", "storage.buckets.list",
    ])
    error_message = "The build submitter role's permissions changed."
  }

  assert {
    condition = google_project_iam_custom_role.this["twittixRunReleaser"].permissions == toset([
      "monitoring.timeSeries.list", "run.operations.get", "run.revisions.get", "run.services.get", "run.services.update", "serviceusage.services.use",
    ])
    error_message = "The Cloud Run releaser role's permissions changed."
  }

  assert {
    condition     = output.build_member == "serviceAccount:github-build@twittix-prod.iam.gserviceaccount.com" && output.release_member == "serviceAccount:github-release@twittix-prod.iam.gserviceaccount.com"
    error_message = "The members of the two identities are their accounts."
  }

  assert {
    condition = output.resource_roles == {
      build = {
        source_bucket          = ["roles/storage.legacyBucketWriter"]
        logs_bucket            = ["roles/storage.objectViewer"]
        repository             = ["roles/artifactregistry.writer"]
        runner_service_account = ["roles/iam.serviceAccountUser"]
      }
      release = {
        runtime_service_accounts = ["roles/iam.serviceAccountUser"]
      }
    }
    error_message = "The identities' roles on single resources changed: ${jsonencode(output.resource_roles)}"
  }
}

run "other_organisation_and_environment" {
  command = plan

  variables {
    organisation         = "acme"
    release_environment  = "prod-eu"
    service_repositories = ["acme/shop"]
    infra_repository     = "acme/infra"
  }

  assert {
    condition     = google_iam_workload_identity_pool_provider.github.attribute_condition == "assertion.repository_owner == 'acme'"
    error_message = "The condition must name the organisation given."
  }

  assert {
    condition     = endswith(google_service_account_iam_member.workload_identity_user["release acme/shop"].member, "/attribute.repository_environment/acme/shop@prod-eu") && endswith(google_service_account_iam_member.workload_identity_user["release acme/infra"].member, "/attribute.repository_environment/acme/infra@prod-eu")
    error_message = "The release account must follow release_environment."
  }
}

run "empty_organisation" {
  command = plan

  variables {
    organisation = ""
  }

  expect_failures = [var.organisation]
}

run "organisation_with_a_quote" {
  command = plan

  variables {
    organisation = "twittix' || true || '"
  }

  expect_failures = [var.organisation]
}

run "environment_none" {
  command = plan

  variables {
    release_environment = "none"
  }

  expect_failures = [var.release_environment]
}
