variable "project" {
  type        = string
  description = "The Google Cloud project ID whose APIs are enabled."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project))
    error_message = "The project must be a project ID: 6 to 30 lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "services" {
  type        = list(string)
  description = "The APIs to enable, as service names (run.googleapis.com). cloudresourcemanager is Terraform's own need (project IAM); serviceusage must be on before the first apply (terraform/README.md)."
  default = [
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "compute.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
    "sts.googleapis.com",
  ]

  validation {
    condition     = alltrue([for s in var.services : can(regex("^[a-z0-9-]+\\.googleapis\\.com$", s))])
    error_message = "Each service must be an API's service name, such as run.googleapis.com."
  }
}
