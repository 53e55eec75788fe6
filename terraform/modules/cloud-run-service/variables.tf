variable "project" {
  type        = string
  description = "The Google Cloud project ID of the service."
}

variable "region" {
  type        = string
  description = "The region of the service."
}

variable "name" {
  type        = string
  description = "The Cloud Run service name (also the image name in the registry and the runtime account's run-NAME)."

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$", var.name))
    error_message = "The service name must be lower-case letters, digits and hyphens, start with a letter, not end with a hyphen, and have at most 49 characters (Cloud Run's limit for a service whose revisions promote names)."
  }
}

variable "description" {
  type        = string
  description = "What the service does."
  default     = ""
}

variable "runtime_account_id" {
  type        = string
  description = "The runtime service account ID; empty means run-NAME (cut to 30 characters)."
  default     = ""

  validation {
    condition     = var.runtime_account_id == "" || can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.runtime_account_id))
    error_message = "A service account ID is 6 to 30 lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "initial_image" {
  type        = string
  description = "The image of the first revision, before the first deploy; the promote action owns the image afterwards."
  default     = "us-docker.pkg.dev/cloudrun/container/hello"
}

variable "public" {
  type        = bool
  description = "Whether anyone on the internet may call the service (roles/run.invoker to allUsers)."
  default     = false
}

variable "ingress" {
  type        = string
  description = "Where requests may come from: INGRESS_TRAFFIC_ALL, INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER."
  default     = "INGRESS_TRAFFIC_ALL"

  validation {
    condition     = contains(["INGRESS_TRAFFIC_ALL", "INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"], var.ingress)
    error_message = "ingress must be INGRESS_TRAFFIC_ALL, INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER."
  }
}

variable "min_instances" {
  type        = number
  description = "The fewest instances kept warm (0 scales to zero)."
  default     = 0

  validation {
    condition     = var.min_instances >= 0 && floor(var.min_instances) == var.min_instances
    error_message = "min_instances must be a whole number, 0 or more."
  }
}

variable "max_instances" {
  type        = number
  description = "The most instances the service scales to."
  default     = 10

  validation {
    condition     = var.max_instances >= 1 && floor(var.max_instances) == var.max_instances && var.max_instances >= var.min_instances
    error_message = "max_instances must be a whole number, at least 1 and at least min_instances."
  }
}

variable "cpu" {
  type        = string
  description = "The CPU limit of the container, e.g. \"1\" or \"2\"."
  default     = "1"

  validation {
    condition     = contains(["1", "2", "4", "6", "8"], var.cpu) || can(regex("^[0-9]{3}m$", var.cpu))
    error_message = "cpu must be 1, 2, 4, 6 or 8, or a fraction in millicpu below 1 such as 500m."
  }
}

variable "memory" {
  type        = string
  description = "The memory limit of the container, e.g. 512Mi or 2Gi."
  default     = "512Mi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.memory))
    error_message = "memory must be a quantity in Mi or Gi, such as 512Mi or 2Gi."
  }
}

variable "cpu_idle" {
  type        = bool
  description = "Whether CPU is only allocated during requests (false: always allocated, for background work)."
  default     = true
}

variable "concurrency" {
  type        = number
  description = "The most requests one instance serves at once."
  default     = 80

  validation {
    condition     = var.concurrency >= 1 && var.concurrency <= 1000
    error_message = "concurrency must be between 1 and 1000."
  }
}

variable "request_timeout_seconds" {
  type        = number
  description = "How long a request may take, in seconds."
  default     = 300

  validation {
    condition     = var.request_timeout_seconds >= 1 && var.request_timeout_seconds <= 3600
    error_message = "request_timeout_seconds must be between 1 and 3600."
  }
}

variable "port" {
  type        = number
  description = "The port the container listens on (PORT)."
  default     = 8080
}

variable "env" {
  type        = map(string)
  description = "Plain environment variables, NAME => value. Never secrets: use secret_env."
  default     = {}
}

variable "secret_env" {
  type = map(object({
    secret  = string
    version = optional(string, "latest")
  }))
  description = "Environment variables read from Secret Manager, NAME => { secret = SECRET_ID, version = \"latest\" }."
  default     = {}
}

variable "secret_files" {
  type = map(object({
    secret     = string
    mount_path = string
    file_name  = optional(string, "value")
    version    = optional(string, "latest")
  }))
  description = "Secrets mounted as files, KEY => { secret = SECRET_ID, mount_path = \"/secrets/KEY\", file_name = \"value\" }: the file is MOUNT_PATH/FILE_NAME."
  default     = {}

  validation {
    condition     = alltrue([for f in values(var.secret_files) : startswith(f.mount_path, "/")])
    error_message = "Each secret file's mount_path must be an absolute path."
  }
}

variable "network" {
  type        = string
  description = "The VPC network of Direct VPC egress (name or self link)."
}

variable "subnetwork" {
  type        = string
  description = "The subnet of Direct VPC egress (name or self link)."
}

variable "vpc_egress" {
  type        = string
  description = "What goes through the VPC: ALL_TRAFFIC (outbound calls leave by Cloud NAT) or PRIVATE_RANGES_ONLY."
  default     = "ALL_TRAFFIC"

  validation {
    condition     = contains(["ALL_TRAFFIC", "PRIVATE_RANGES_ONLY"], var.vpc_egress)
    error_message = "vpc_egress must be ALL_TRAFFIC or PRIVATE_RANGES_ONLY."
  }
}

variable "startup_probe" {
  type = object({
    path              = optional(string, "/healthz")
    period_seconds    = optional(number, 2)
    timeout_seconds   = optional(number, 1)
    failure_threshold = optional(number, 30)
  })
  description = "The HTTP startup probe: the revision is not Ready until PATH answers 2xx."
  default     = {}
}

variable "liveness_probe" {
  type = object({
    path              = optional(string, "/healthz")
    period_seconds    = optional(number, 10)
    timeout_seconds   = optional(number, 2)
    failure_threshold = optional(number, 3)
  })
  description = "The HTTP liveness probe: an instance failing it is restarted."
  default     = {}
}

variable "labels" {
  type        = map(string)
  description = "Labels of the service and its first revision (set at creation: see the lifecycle block)."
  default     = {}
}

variable "deletion_protection" {
  type        = bool
  description = "Whether Terraform refuses to destroy the service."
  default     = true
}

variable "deployers" {
  type        = map(string)
  description = "The IAM members that deploy revisions running as the runtime account, keyed by a static name (release = serviceAccount:...)."
  default     = {}
}

variable "deployer_roles" {
  type        = list(string)
  description = "The roles the deployers get on the runtime account (github-oidc's resource_roles.release.runtime_service_accounts)."
  default     = ["roles/iam.serviceAccountUser"]
}
