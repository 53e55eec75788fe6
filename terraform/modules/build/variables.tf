variable "project" {
  type        = string
  description = "The Google Cloud project ID of the builds."
}

variable "location" {
  type        = string
  description = "The location of the source and logs buckets (the builds' region, or a multi-region such as EU)."
}

variable "labels" {
  type        = map(string)
  description = "Labels of the buckets."
  default     = {}
}

variable "source_max_age_days" {
  type        = number
  description = "Days after which a source archive is deleted."
  default     = 7

  validation {
    condition     = var.source_max_age_days >= 1 && floor(var.source_max_age_days) == var.source_max_age_days
    error_message = "source_max_age_days must be a whole number of days, at least 1."
  }
}

variable "logs_max_age_days" {
  type        = number
  description = "Days after which a build log is deleted."
  default     = 90

  validation {
    condition     = var.logs_max_age_days >= 1 && floor(var.logs_max_age_days) == var.logs_max_age_days
    error_message = "logs_max_age_days must be a whole number of days, at least 1."
  }
}

variable "runner_account_id" {
  type        = string
  description = "The account ID of the account builds run as."
  default     = "cloud-build-runner"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.runner_account_id))
    error_message = "A service account ID is 6 to 30 lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "submitters" {
  type        = map(string)
  description = "The IAM members that submit builds, keyed by a static name (build = serviceAccount:...)."
  default     = {}
}

variable "submitter_roles" {
  type        = map(list(string))
  description = "The submitters' roles by resource: source_bucket, logs_bucket and runner_service_account (github-oidc's resource_roles.build)."
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.submitter_roles) : contains(["source_bucket", "logs_bucket", "runner_service_account", "repository"], k)])
    error_message = "submitter_roles keys must be source_bucket, logs_bucket, runner_service_account or repository (the last is granted by the artifact-registry module)."
  }
}
