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
  description = "The `gh variable set` commands that wire each service's repository, and the infra repository (promote.yml), to this project. Run them once after the first apply (they hold no secret)."
  value = merge(
    { for name, s in var.services : coalesce(s.repository, "${var.github_organisation}/${name}") => join("\n", [
      for k, v in {
        GCP_PROJECT      = var.project
        GCP_REGION       = var.region
        GCP_WIF_PROVIDER = module.github_oidc.workload_identity_provider
        GCP_BUILD_SA     = module.github_oidc.build_service_account
        GCP_RELEASE_SA   = module.github_oidc.release_service_account
        GCP_IMAGE        = "${module.artifact_registry.url}/${name}"
      } : "gh variable set ${k} --repo ${coalesce(s.repository, "${var.github_organisation}/${name}")} --body '${v}'"
    ]) },
    { (var.infra_repository) = join("\n", [
      for k, v in {
        GCP_PROJECT      = var.project
        GCP_REGION       = var.region
        GCP_WIF_PROVIDER = module.github_oidc.workload_identity_provider
        GCP_RELEASE_SA   = module.github_oidc.release_service_account
        GCP_TF_PLAN_SA   = module.github_oidc.terraform_plan_service_account
        GCP_TF_APPLY_SA  = module.github_oidc.terraform_apply_service_account
      } : "gh variable set ${k} --repo ${var.infra_repository} --body '${v}'"
    ]) },
  )
}
