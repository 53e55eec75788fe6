variable "project" {
  type        = string
  description = "The Google Cloud project ID of the network."
}

variable "region" {
  type        = string
  description = "The region of the subnet, router and NAT (the services' region)."
}

variable "name" {
  type        = string
  description = "The network name, also the prefix of the subnet, router, NAT and firewall rules."
  default     = "twittix"

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$", var.name))
    error_message = "The network name must be lower-case letters, digits and hyphens, start with a letter and have at most 32 characters (it prefixes other names)."
  }
}

variable "subnet_cidr" {
  type        = string
  description = "The IPv4 range of the Direct VPC egress subnet, at least a /26."
  default     = "10.8.0.0/24"

  validation {
    condition     = can(cidrhost(var.subnet_cidr, 0)) && tonumber(split("/", var.subnet_cidr)[1]) <= 26
    error_message = "subnet_cidr must be an IPv4 CIDR range of at least a /26, such as 10.8.0.0/24."
  }
}

variable "allow_egress" {
  type = map(object({
    protocol = string
    ports    = optional(list(string), [])
    ranges   = list(string)
  }))
  description = "Outbound rules opened over the default deny, keyed by a short name: protocol, ports and destination ranges."
  default = {
    https = {
      protocol = "tcp"
      ports    = ["443"]
      ranges   = ["0.0.0.0/0"]
    }
  }

  validation {
    condition     = alltrue([for k in keys(var.allow_egress) : can(regex("^[a-z][a-z0-9-]{0,20}$", k))])
    error_message = "Each allow_egress key must be a short lower-case name (it ends the firewall rule's name)."
  }
}
