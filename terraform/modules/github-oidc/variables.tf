variable "project" {
  type        = string
  description = "The Google Cloud project ID of the pool, the service accounts and their roles."
}

variable "organisation" {
  type        = string
  description = "The GitHub organisation (owner) whose repositories may authenticate, e.g. twittix."

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$", var.organisation))
    error_message = "The organisation must be a GitHub organisation name: 1 to 39 letters, digits and hyphens, not starting with a hyphen (it must not be empty)."
  }
}

variable "release_environment" {
  type        = string
  description = "The GitHub environment whose jobs may use the release account (production.yml's canary and deploy jobs, promote.yml)."
  default     = "production"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,255}$", var.release_environment)) && var.release_environment != "none"
    error_message = "The release environment must be a GitHub environment name (letters, digits, '.', '_', '-'), and not \"none\", which stands for jobs outside any environment."
  }
}

variable "pool_id" {
  type        = string
  description = "The Workload Identity pool ID."
  default     = "github"

  validation {
    condition     = can(regex("^[a-z0-9-]{4,32}$", var.pool_id)) && !startswith(var.pool_id, "gcp-")
    error_message = "The pool ID must be 4 to 32 lower-case letters, digits and hyphens, not starting with gcp-."
  }
}

variable "provider_id" {
  type        = string
  description = "The Workload Identity pool provider ID."
  default     = "github"

  validation {
    condition     = can(regex("^[a-z0-9-]{4,32}$", var.provider_id)) && !startswith(var.provider_id, "gcp-")
    error_message = "The provider ID must be 4 to 32 lower-case letters, digits and hyphens, not starting with gcp-."
  }
}

variable "build_account_id" {
  type        = string
  description = "The account ID (before @) of the build service account."
  default     = "github-build"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.build_account_id))
    error_message = "A service account ID is 6 to 30 lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "release_account_id" {
  type        = string
  description = "The account ID (before @) of the release service account."
  default     = "github-release"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.release_account_id))
    error_message = "A service account ID is 6 to 30 lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "infra_repository" {
  type        = string
  description = "The repository (OWNER/NAME) whose terraform.yml plans and applies this configuration."
  default     = "twittix/infra"

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.infra_repository))
    error_message = "infra_repository must be OWNER/NAME, such as twittix/infra."
  }
}

variable "service_repositories" {
  type        = set(string)
  description = "The repositories (OWNER/NAME) of the services: only their protected refs may use the build account, and only their jobs in release_environment (and the infra repository's) the release account."

  validation {
    condition     = alltrue([for r in var.service_repositories : can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", r)) && split("/", r)[0] == var.organisation])
    error_message = "Each service repository must be OWNER/NAME with OWNER the organisation (the pool admits no other owner), such as twittix/web."
  }
}
