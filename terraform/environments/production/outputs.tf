output "workload_identity_provider" {
  description = "The WIF provider name: the GCP_WIF_PROVIDER variable of the repositories."
  value       = module.github_oidc.workload_identity_provider
}

output "build_service_account" {
  description = "The build identity (production.yml's build job): GCP_BUILD_SA."
  value       = module.github_oidc.build_service_account
}

output "release_service_account" {
  description = "The release identity (production.yml's deploy and canary jobs, promote.yml; the production environment only): GCP_RELEASE_SA."
  value       = module.github_oidc.release_service_account
}

output "registry_url" {
  description = "The image prefix: a service's image is REGISTRY_URL/SERVICE (production.yml's image input)."
  value       = module.artifact_registry.url
}

output "service_urls" {
  description = "Each service's URL, keyed by service name."
  value       = { for name, s in module.service : name => s.url }
}

output "build_logs_bucket" {
  description = "The bucket of Cloud Build logs (gs://BUCKET), the cloud-build action's logs_bucket in production.yml."
  value       = module.build.logs_bucket
}

output "build_runner_service_account" {
  description = "The account builds run as, the cloud-build action's service_account in production.yml."
  value       = module.build.runner_service_account
}

output "github_variables" {
  description = "The `gh variable set` commands that wire each service's repository, and the infra repository (promote.yml), to this project, keyed by repository (OWNER/NAME). A service repository gets GCP_REGISTRY and GCP_IMAGE_SERVICE for each of its services (SERVICE upper-cased, - as _), and GCP_IMAGE too when it holds one service. Run them once after the first apply (they hold no secret)."
  value = { for repository, variables in local.github_variables : repository => join("\n", [
    for k, v in variables : "gh variable set ${k} --repo ${repository} --body '${v}'"
  ]) }
}

locals {
  # The services of each repository: a repository may hold several (a monorepo), and the infra
  # repository may hold one.
  repository_services = { for name, repository in local.service_repository : repository => name... }

  github_variables = { for repository in setunion(keys(local.repository_services), [var.infra_repository]) : repository => merge(
    {
      GCP_PROJECT      = var.project
      GCP_REGION       = var.region
      GCP_WIF_PROVIDER = module.github_oidc.workload_identity_provider
    },
    # The repositories of services: production.yml's callers.
    length(lookup(local.repository_services, repository, [])) > 0 ? merge(
      {
        GCP_BUILD_SA   = module.github_oidc.build_service_account
        GCP_RELEASE_SA = module.github_oidc.release_service_account
        GCP_REGISTRY   = module.artifact_registry.url
      },
      { for name in lookup(local.repository_services, repository, []) : "GCP_IMAGE_${upper(replace(name, "-", "_"))}" => "${module.artifact_registry.url}/${name}" },
      length(lookup(local.repository_services, repository, [])) == 1 ? { GCP_IMAGE = "${module.artifact_registry.url}/${lookup(local.repository_services, repository, [""])[0]}" } : {},
    ) : {},
    # The infra repository: promote.yml and terraform.yml.
    repository == var.infra_repository ? {
      GCP_RELEASE_SA  = module.github_oidc.release_service_account
      GCP_TF_PLAN_SA  = module.github_oidc.terraform_plan_service_account
      GCP_TF_APPLY_SA = module.github_oidc.terraform_apply_service_account
    } : {},
  ) }
}
