output "workload_identity_provider" {
  description = "The full name of the GitHub provider (projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER), the workload_identity_provider of google-github-actions/auth."
  value       = google_iam_workload_identity_pool_provider.github.name
}

output "build_service_account" {
  description = "The e-mail of the build service account (production.yml's build job)."
  value       = local.emails["build"]
}

output "release_service_account" {
  description = "The e-mail of the release service account (production.yml's deploy and canary jobs, promote.yml)."
  value       = local.emails["release"]
}

output "build_member" {
  description = "The IAM member of the build service account (serviceAccount:EMAIL), for resource-level grants."
  value       = local.members["build"]
}

output "release_member" {
  description = "The IAM member of the release service account (serviceAccount:EMAIL), for resource-level grants."
  value       = local.members["release"]
}

output "resource_roles" {
  description = "The roles each identity gets on single resources (resource_roles.json), keyed by identity then resource kind, e.g. resource_roles.build.repository."
  value       = local.resource_roles
}

output "project_roles" {
  description = "The project-level roles granted, keyed by identity (role names, custom roles resolved)."
  value = {
    for identity in keys(local.project_roles) : identity => sort([
      for k, g in google_project_iam_member.identity : g.role if local.project_grants[k].identity == identity
    ])
  }
}

output "terraform_plan_service_account" {
  description = "The e-mail of the read-only account terraform.yml plans with (any workflow of the infra repository)."
  value       = local.emails["terraform_plan"]
}

output "terraform_apply_service_account" {
  description = "The e-mail of the account terraform.yml applies with (the infra repository's release environment only)."
  value       = local.emails["terraform_apply"]
}

output "members" {
  description = "The IAM member (serviceAccount:EMAIL) of each identity: build, release, terraform_plan, terraform_apply."
  value       = local.members
}

output "principals" {
  description = "The GitHub principals (principalSet://...) that may impersonate each identity, keyed by identity then repository (OWNER/NAME)."
  value       = { for identity, i in local.identities : identity => i.principals }
}
