variable "project" {
  type        = string
  description = "The Google Cloud project ID of production (production.yml's project default)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project))
    error_message = "project must be a project ID: 6 to 30 lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "The region of the services, the registry and the builds (production.yml's region default)."
  default     = "europe-west1"

  # The regions where Cloud Run and Cloud Build both run (pkg/gcp.Regions; names_test.go checks
  # the two lists agree).
  validation {
    condition = contains([
      "africa-south1",
      "asia-east1", "asia-east2",
      "asia-northeast1", "asia-northeast2", "asia-northeast3",
      "asia-south1", "asia-south2",
      "asia-southeast1", "asia-southeast2", "asia-southeast3",
      "australia-southeast1", "australia-southeast2",
      "europe-central2",
      "europe-north1", "europe-north2",
      "europe-southwest1",
      "europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-west6",
      "europe-west8", "europe-west9", "europe-west10", "europe-west12",
      "me-central1", "me-central2", "me-west1",
      "northamerica-northeast1", "northamerica-northeast2", "northamerica-south1",
      "southamerica-east1", "southamerica-west1",
      "us-central1",
      "us-east1", "us-east4", "us-east5",
      "us-south1",
      "us-west1", "us-west2", "us-west3", "us-west4",
    ], var.region)
    error_message = "region is not a region where Cloud Run and Cloud Build both run; use one such as europe-west1 or us-central1."
  }
}

variable "github_organisation" {
  type        = string
  description = "The GitHub organisation whose repositories may authenticate to Google Cloud (the WIF attribute condition)."

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}$", var.github_organisation))
    error_message = "github_organisation must be a GitHub organisation name (1 to 39 letters, digits and hyphens); it must not be empty."
  }
}

variable "release_environment" {
  type        = string
  description = "The GitHub environment whose jobs may use the release account (production.yml's environment default)."
  default     = "production"
}

variable "infra_repository" {
  type        = string
  description = "The repository holding promote.yml (OWNER/NAME), whose variables the outputs also wire."
  default     = "twittix/infra"
}

variable "state_bucket" {
  type        = string
  description = "The bucket of this state, made by hand before the first init: the backend's bucket in versions.tf (names_test.go checks they agree)."
  default     = "twittix-prod-tfstate"
}

variable "registry_repository" {
  type        = string
  description = "The Artifact Registry repository of the services' images: REGION-docker.pkg.dev/PROJECT/REGISTRY_REPOSITORY/SERVICE."
  default     = "services"
}

variable "services" {
  type = map(object({
    repository      = optional(string)
    description     = optional(string, "")
    public          = optional(bool, true)
    ingress         = optional(string, "INGRESS_TRAFFIC_ALL")
    min_instances   = optional(number, 0)
    max_instances   = optional(number, 10)
    cpu             = optional(string, "1")
    memory          = optional(string, "512Mi")
    cpu_idle        = optional(bool, true)
    concurrency     = optional(number, 80)
    port            = optional(number, 8080)
    probe_path      = optional(string, "/healthz")
    env             = optional(map(string), {})
    secret_env      = optional(map(object({ secret = string, version = optional(string, "latest") })), {})
    secret_files    = optional(map(object({ secret = string, mount_path = string, file_name = optional(string, "value"), version = optional(string, "latest") })), {})
    max_5xx_percent = optional(number, 1)
    max_p99_ms      = optional(number, 1000)
  }))
  description = "The micro-services, keyed by Cloud Run service name. One entry yields the runtime account, its secrets (created empty) and their access, the Cloud Run service, and for a public one its uptime check and alerts, plus a dashboard. repository is the GitHub repository (OWNER/NAME) that deploys it, default ORGANISATION/NAME."

  validation {
    condition     = alltrue([for name in keys(var.services) : can(regex("^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$", name))])
    error_message = "Each service name (the key of services) must be lower-case letters, digits and hyphens, start with a letter, not end with a hyphen, and have at most 49 characters."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : s.min_instances >= 0 && s.max_instances >= 1 && s.min_instances <= s.max_instances])
    error_message = "Each service needs 0 <= min_instances <= max_instances and max_instances >= 1."
  }

  validation {
    condition = alltrue([for s in values(var.services) : s.repository == null ? true : (
      can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$", s.repository)) && try(split("/", s.repository)[0] == var.github_organisation, false)
    )])
    error_message = "Each service's repository must be OWNER/NAME with OWNER the github_organisation, such as twittix/web (only the organisation's repositories can authenticate)."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : s.max_5xx_percent > 0 && s.max_5xx_percent <= 100 && s.max_p99_ms > 0 && startswith(s.probe_path, "/")])
    error_message = "Each service needs max_5xx_percent in (0, 100], max_p99_ms above 0 and a probe_path starting with /."
  }
}

variable "secrets" {
  type = map(object({
    labels               = optional(map(string), {})
    replica_locations    = optional(list(string), [])
    rotation_period_days = optional(number)
  }))
  description = "Settings of secrets, keyed by secret ID. Every secret a service reads is created even without an entry here; an entry adds labels, replica locations or a rotation period."
  default     = {}
}

variable "secret_rotation_topic" {
  type        = string
  description = "The Pub/Sub topic announcing due secret rotations (needed when a secret has a rotation period)."
  default     = ""
}

variable "subnet_cidr" {
  type        = string
  description = "The IPv4 range of the Direct VPC egress subnet."
  default     = "10.8.0.0/24"
}

variable "notification_channels" {
  type = map(object({
    type   = string
    labels = map(string)
  }))
  description = "Where alerts go, keyed by display name (see the monitoring module)."
  default     = {}
}

variable "log_retention_days" {
  type        = number
  description = "How many days the _Default log bucket keeps logs."
  default     = 30
}

variable "log_sink" {
  type = object({
    name        = string
    type        = string
    destination = string
    filter      = optional(string, "resource.type=\"cloud_run_revision\"")
  })
  description = "An optional log sink to BigQuery or Cloud Storage (see the logging module); null for none."
  default     = null
}
