variable "project" {
  type        = string
  description = "The Google Cloud project ID whose logging is configured."
}

variable "retention_days" {
  type        = number
  description = "How many days the _Default log bucket keeps logs (1 to 3650)."
  default     = 30

  validation {
    condition     = var.retention_days >= 1 && var.retention_days <= 3650 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number of days from 1 to 3650."
  }
}

variable "sink" {
  type = object({
    name        = string
    type        = string
    destination = string
    filter      = optional(string, "resource.type=\"cloud_run_revision\"")
  })
  description = "An optional sink: name, type (bigquery or storage), destination (a dataset ID of the project, or a bucket name) and filter. null for none."
  default     = null

  validation {
    condition     = var.sink == null || contains(["bigquery", "storage"], try(var.sink.type, ""))
    error_message = "sink.type must be bigquery or storage."
  }
}

variable "exclusions" {
  type = map(object({
    filter      = string
    description = optional(string, "")
  }))
  description = "Logs to drop, keyed by exclusion name: a logging filter each."
  default = {
    healthz = {
      filter      = "resource.type=\"cloud_run_revision\" AND httpRequest.requestUrl=~\"/healthz$\" AND httpRequest.status<400"
      description = "Successful health checks (uptime checks and probes)."
    }
  }

  validation {
    condition     = alltrue([for k in keys(var.exclusions) : can(regex("^[A-Za-z0-9_.-]{1,100}$", k))])
    error_message = "An exclusion name is 1 to 100 letters, digits, '_', '-' and '.'."
  }
}
