variable "project" {
  type        = string
  description = "The Google Cloud project ID of the repository."
}

variable "region" {
  type        = string
  description = "The region of the repository (images are pushed to REGION-docker.pkg.dev)."
}

variable "repository_id" {
  type        = string
  description = "The repository ID: images are REGION-docker.pkg.dev/PROJECT/REPOSITORY_ID/SERVICE."
  default     = "services"

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.repository_id))
    error_message = "The repository ID must be lower-case letters, digits and hyphens, start with a letter and have at most 63 characters."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels of the repository."
  default     = {}
}

variable "immutable_tags" {
  type        = bool
  description = "Whether a tag, once pushed, can never point to another image."
  default     = true
}

variable "keep_tagged" {
  type        = number
  description = "How many of the most recent versions of each image are kept, whatever their age (rollback targets)."
  default     = 20

  validation {
    condition     = var.keep_tagged >= 1 && floor(var.keep_tagged) == var.keep_tagged
    error_message = "keep_tagged must be a whole number of at least 1: a rollback needs the previous image."
  }
}

variable "tagged_max_age_days" {
  type        = number
  description = "Age in days after which tagged versions beyond the keep_tagged most recent are deleted."
  default     = 180

  validation {
    condition     = var.tagged_max_age_days >= 1 && floor(var.tagged_max_age_days) == var.tagged_max_age_days
    error_message = "tagged_max_age_days must be a whole number of days, at least 1."
  }
}

variable "untagged_max_age_days" {
  type        = number
  description = "Age in days after which untagged versions (layers of superseded builds) are deleted."
  default     = 7

  validation {
    condition     = var.untagged_max_age_days >= 1 && floor(var.untagged_max_age_days) == var.untagged_max_age_days
    error_message = "untagged_max_age_days must be a whole number of days, at least 1."
  }
}

variable "cleanup_dry_run" {
  type        = bool
  description = "Whether the cleanup policies only report what they would delete."
  default     = false
}

variable "writers" {
  type = map(object({
    member = string
    roles  = list(string)
  }))
  description = "The IAM members that push images and their roles on the repository, keyed by a static name: build = { member = \"serviceAccount:...\", roles = [\"roles/artifactregistry.writer\"] }."
  default     = {}
}

variable "readers" {
  type        = map(string)
  description = "The IAM members that pull images, keyed by a static name (one per Cloud Run service)."
  default     = {}
}
