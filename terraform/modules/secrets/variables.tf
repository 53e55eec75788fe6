variable "project" {
  type        = string
  description = "The Google Cloud project ID of the secrets."
}

variable "secrets" {
  type = map(object({
    labels               = optional(map(string), {})
    replica_locations    = optional(list(string), [])
    rotation_period_days = optional(number)
  }))
  description = "The secrets, keyed by secret ID: labels, the regions to replicate to (empty: automatic replication) and a rotation period in days (announced on rotation_topic)."
  default     = {}

  validation {
    condition     = alltrue([for id in keys(var.secrets) : can(regex("^[A-Za-z0-9_-]{1,255}$", id))])
    error_message = "A secret ID is 1 to 255 letters, digits, '_' and '-'."
  }

  validation {
    condition     = alltrue([for s in values(var.secrets) : s.rotation_period_days == null ? true : s.rotation_period_days >= 1])
    error_message = "rotation_period_days must be at least 1 (Secret Manager's shortest rotation period is an hour; rotate daily at most here)."
  }
}

variable "rotation_topic" {
  type        = string
  description = "The Pub/Sub topic (projects/P/topics/T) told when a secret is due for rotation; required when a secret has a rotation period."
  default     = ""

  validation {
    condition     = var.rotation_topic != "" || alltrue([for s in values(var.secrets) : s.rotation_period_days == null])
    error_message = "A secret has a rotation period but rotation_topic is empty: Secret Manager needs a Pub/Sub topic to announce rotations on."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels of every secret."
  default     = {}
}
