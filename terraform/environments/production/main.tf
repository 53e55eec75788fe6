locals {
  # Every secret a service reads exists, with the settings of var.secrets where given.
  service_secrets = toset(flatten([
    for s in values(var.services) : concat([for e in values(s.secret_env) : e.secret], [for f in values(s.secret_files) : f.secret])
  ]))
  secrets = { for id in setunion(local.service_secrets, keys(var.secrets)) : id => (
    contains(keys(var.secrets), id) ? var.secrets[id] : { labels = {}, replica_locations = [], rotation_period_days = null }
  ) }

  labels = { system = "twittix" }

  # The GitHub repository that deploys each service (OWNER/NAME), by service name.
  service_repository = { for name, s in var.services : name => coalesce(s.repository, "${var.github_organisation}/${name}") }
}

module "project_services" {
  source  = "../../modules/project-services"
  project = var.project
}

module "github_oidc" {
  source              = "../../modules/github-oidc"
  project             = var.project
  organisation        = var.github_organisation
  release_environment = var.release_environment
  infra_repository    = var.infra_repository
  # Only these repositories may build and release (and the infra repository release).
  service_repositories = values(local.service_repository)

  depends_on = [module.project_services]
}

module "network" {
  source      = "../../modules/network"
  project     = var.project
  region      = var.region
  subnet_cidr = var.subnet_cidr

  depends_on = [module.project_services]
}

module "build" {
  source   = "../../modules/build"
  project  = var.project
  location = var.region
  labels   = local.labels

  submitters      = { build = module.github_oidc.build_member }
  submitter_roles = module.github_oidc.resource_roles.build

  depends_on = [module.project_services]
}

module "artifact_registry" {
  source        = "../../modules/artifact-registry"
  project       = var.project
  region        = var.region
  repository_id = var.registry_repository
  labels        = local.labels

  writers = {
    build  = { member = module.github_oidc.build_member, roles = module.github_oidc.resource_roles.build.repository }
    runner = { member = module.build.runner_member, roles = module.build.runner_roles.repository }
  }
  readers = { for name, svc in module.service : name => svc.runtime_member }

  depends_on = [module.project_services]
}

module "secrets" {
  source         = "../../modules/secrets"
  project        = var.project
  secrets        = local.secrets
  rotation_topic = var.secret_rotation_topic
  labels         = local.labels

  depends_on = [module.project_services]
}

module "service" {
  source   = "../../modules/cloud-run-service"
  for_each = var.services

  project      = var.project
  region       = var.region
  name         = each.key
  description  = each.value.description
  public       = each.value.public
  ingress      = each.value.ingress
  labels       = merge(local.labels, { service = each.key })
  network      = module.network.network
  subnetwork   = module.network.subnetwork
  env          = each.value.env
  secret_env   = each.value.secret_env
  secret_files = each.value.secret_files

  min_instances = each.value.min_instances
  max_instances = each.value.max_instances
  cpu           = each.value.cpu
  memory        = each.value.memory
  cpu_idle      = each.value.cpu_idle
  concurrency   = each.value.concurrency
  port          = each.value.port

  startup_probe  = { path = each.value.probe_path }
  liveness_probe = { path = each.value.probe_path }

  deployers      = { release = module.github_oidc.release_member }
  deployer_roles = module.github_oidc.resource_roles.release.runtime_service_accounts

  # The secrets exist before a revision reads them.
  depends_on = [module.secrets, module.project_services]
}

module "monitoring" {
  source  = "../../modules/monitoring"
  project = var.project
  region  = var.region

  services = { for name, s in var.services : name => {
    url             = module.service[name].url
    public          = s.public
    probe_path      = s.probe_path
    max_5xx_percent = s.max_5xx_percent
    max_p99_ms      = s.max_p99_ms
  } }
  notification_channels = var.notification_channels

  depends_on = [module.project_services]
}

module "logging" {
  source         = "../../modules/logging"
  project        = var.project
  retention_days = var.log_retention_days
  sink           = var.log_sink

  depends_on = [module.project_services]
}

# The state bucket is made by hand before the first init (it holds this state); terraform.yml's
# accounts get its objects: read for plans (run with -lock=false), read and write for applies.
resource "google_storage_bucket_iam_member" "state" {
  for_each = {
    terraform_plan  = "roles/storage.objectViewer"
    terraform_apply = "roles/storage.objectAdmin"
  }

  bucket = var.state_bucket
  role   = each.value
  member = module.github_oidc.members[each.key]
}
