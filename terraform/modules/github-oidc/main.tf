locals {
  # The roles of each identity are data, read by Terraform here and by the permission test
  # (see ROLES.md at the repository root): "roles/..." is a predefined role, "custom:ID" a custom
  # role of custom_roles.json.
  project_roles  = jsondecode(file("${path.module}/roles.json"))
  custom_roles   = jsondecode(file("${path.module}/custom_roles.json"))
  resource_roles = jsondecode(file("${path.module}/resource_roles.json"))

  pool = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}"

  # The repositories whose jobs may release: the services' and the infra repository (promote.yml).
  release_repositories = setunion(var.service_repositories, [var.infra_repository])

  # Each identity and the GitHub principals that may impersonate it. The pool admits every
  # repository of the organisation, and any member of it can create a repository, with any
  # environment and any protection: build and release are therefore bound to named repositories.
  identities = {
    build = {
      account_id   = var.build_account_id
      display_name = "GitHub Actions build (protected refs of the service repositories)"
      # A protected branch or tag of a service repository.
      principals = { for r in var.service_repositories : r => "${local.pool}/attribute.repository_protected/${r}@true" }
    }
    release = {
      account_id   = var.release_account_id
      display_name = "GitHub Actions release (${var.release_environment} environment of the service and infra repositories)"
      # Only jobs running in the GitHub environment of those repositories, whose protection rules
      # gate releases.
      principals = { for r in local.release_repositories : r => "${local.pool}/attribute.repository_environment/${r}@${var.release_environment}" }
    }
    terraform_plan = {
      account_id   = "terraform-plan"
      display_name = "Terraform plan (any workflow of ${var.infra_repository}, pull requests included)"
      # Read-only: a pull request can change the code that plans.
      principals = { (var.infra_repository) = "${local.pool}/attribute.repository/${var.infra_repository}" }
    }
    terraform_apply = {
      account_id   = "terraform-apply"
      display_name = "Terraform apply (the ${var.release_environment} environment of ${var.infra_repository})"
      # Manages IAM, so as strong as an owner: only the infra repository's protected environment.
      principals = { (var.infra_repository) = "${local.pool}/attribute.repository_environment/${var.infra_repository}@${var.release_environment}" }
    }
  }

  # One impersonation grant per identity and repository, keyed "IDENTITY OWNER/NAME".
  principals = merge([
    for identity, i in local.identities : {
      for repository, member in i.principals : "${identity} ${repository}" => { identity = identity, member = member }
    }
  ]...)

  # The e-mail and IAM member of each account, known at plan time.
  emails  = { for k, a in google_service_account.identity : k => "${a.account_id}@${var.project}.iam.gserviceaccount.com" }
  members = { for k, e in local.emails : k => "serviceAccount:${e}" }

  # One grant per identity and project role, keyed "identity/role".
  project_grants = merge([
    for identity, roles in local.project_roles : {
      for role in roles : "${identity}/${role}" => { identity = identity, role = role }
    }
  ]...)
}

resource "google_iam_workload_identity_pool" "github" {
  project                   = var.project
  workload_identity_pool_id = var.pool_id
  display_name              = "GitHub Actions"
  description               = "GitHub Actions OIDC tokens of the ${var.organisation} organisation."
}

resource "google_iam_workload_identity_pool_provider" "github" {
  project                            = var.project
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = var.provider_id
  display_name                       = "GitHub"
  description                        = "token.actions.githubusercontent.com, repositories of ${var.organisation} only."

  # The token of any GitHub repository passes GitHub's issuer: only the organisation's may enter.
  attribute_condition = "assertion.repository_owner == '${var.organisation}'"

  attribute_mapping = {
    "google.subject"             = "assertion.sub"
    "attribute.repository"       = "assertion.repository"
    "attribute.repository_owner" = "assertion.repository_owner"
    "attribute.ref"              = "assertion.ref"
    # GitHub sends ref_protected as "true"/"false"; string() accepts a boolean too.
    "attribute.ref_protected" = "string(assertion.ref_protected)"
    # Jobs outside any environment carry no environment claim: they map to "none".
    "attribute.environment"      = "has(assertion.environment) ? assertion.environment : 'none'"
    "attribute.job_workflow_ref" = "assertion.job_workflow_ref"
    # One repository's one environment, for the release and Terraform apply accounts.
    "attribute.repository_environment" = "assertion.repository + '@' + (has(assertion.environment) ? assertion.environment : 'none')"
    # One repository's protected refs (REPOSITORY@true), for the build account.
    "attribute.repository_protected" = "assertion.repository + '@' + string(assertion.ref_protected)"
  }

  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

resource "google_service_account" "identity" {
  for_each = local.identities

  project      = var.project
  account_id   = each.value.account_id
  description  = "Impersonated by GitHub Actions through the ${var.pool_id} Workload Identity pool."
  display_name = each.value.display_name
}

# The GitHub principals that may impersonate each account.
resource "google_service_account_iam_member" "workload_identity_user" {
  for_each = local.principals

  service_account_id = google_service_account.identity[each.value.identity].name
  role               = "roles/iam.workloadIdentityUser"
  member             = each.value.member
}

resource "google_project_iam_custom_role" "this" {
  for_each = local.custom_roles

  project     = var.project
  role_id     = each.key
  title       = each.value.title
  description = each.value.description
  permissions = each.value.permissions
}

resource "google_project_iam_member" "identity" {
  for_each = local.project_grants

  project = var.project
  role    = startswith(each.value.role, "custom:") ? "projects/${var.project}/roles/${google_project_iam_custom_role.this[trimprefix(each.value.role, "custom:")].role_id}" : each.value.role
  member  = local.members[each.value.identity]
}
