variable "project" {
  type        = string
  description = "The Google Cloud project ID of the services and their monitoring."
}

variable "region" {
  type        = string
  description = "The region of the Cloud Run services."
}

variable "services" {
  type = map(object({
    url             = string
    public          = bool
    probe_path      = optional(string, "/healthz")
    max_5xx_percent = optional(number, 1)
    max_p99_ms      = optional(number, 1000)
  }))
  description = "The Cloud Run services, keyed by name: URL, whether public (uptime check and alerts), probe path, and the alert thresholds (the canary gate's defaults: 1% 5xx, p99 1s)."

  validation {
    condition     = alltrue([for s in values(var.services) : s.max_5xx_percent > 0 && s.max_5xx_percent <= 100 && s.max_p99_ms > 0 && startswith(s.probe_path, "/")])
    error_message = "Each service needs max_5xx_percent in (0, 100], max_p99_ms above 0 and a probe_path starting with /."
  }
}

variable "notification_channels" {
  type = map(object({
    type   = string
    labels = map(string)
  }))
  description = "Where alerts go, keyed by display name: a channel type (email, slack, pagerduty, ...) and its labels, e.g. { oncall = { type = \"email\", labels = { email_address = \"oncall@twittix.example\" } } }. Tokens belong in the console, not here."
  default     = {}
}
