resource "google_compute_network" "this" {
  project                 = var.project
  name                    = var.name
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"
  description             = "The twittix services' network: Cloud Run's Direct VPC egress, outbound by Cloud NAT."
}

# Cloud Run's Direct VPC egress takes instance addresses from this subnet: give it at least a /26
# per 10 instances (Cloud Run reserves twice the instances' addresses during a deploy).
resource "google_compute_subnetwork" "run" {
  project                  = var.project
  name                     = "${var.name}-run-${var.region}"
  region                   = var.region
  network                  = google_compute_network.this.id
  ip_cidr_range            = var.subnet_cidr
  private_ip_google_access = true

  log_config {
    aggregation_interval = "INTERVAL_10_MIN"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_router" "this" {
  project = var.project
  name    = "${var.name}-${var.region}"
  region  = var.region
  network = google_compute_network.this.id
}

# Outbound calls to the internet leave from NAT addresses; nothing can call in.
resource "google_compute_router_nat" "this" {
  project                            = var.project
  name                               = "${var.name}-nat-${var.region}"
  router                             = google_compute_router.this.name
  region                             = var.region
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = google_compute_subnetwork.run.self_link
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

# Deny by default, both ways, at the lowest priority but one: only the rules below it open a path.
resource "google_compute_firewall" "deny_all_ingress" {
  project     = var.project
  name        = "${var.name}-deny-all-ingress"
  network     = google_compute_network.this.id
  direction   = "INGRESS"
  priority    = 65534
  description = "Default deny of every inbound connection (Cloud Run's own ingress does not cross it)."

  source_ranges = ["0.0.0.0/0"]

  deny {
    protocol = "all"
  }

  log_config {
    metadata = "EXCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "deny_all_egress" {
  project            = var.project
  name               = "${var.name}-deny-all-egress"
  network            = google_compute_network.this.id
  direction          = "EGRESS"
  priority           = 65534
  description        = "Default deny of every outbound connection; allow_egress opens what the services need."
  destination_ranges = ["0.0.0.0/0"]

  deny {
    protocol = "all"
  }

  log_config {
    metadata = "EXCLUDE_ALL_METADATA"
  }
}

# What the services may call: by default HTTPS anywhere (through NAT) and Google's private APIs.
resource "google_compute_firewall" "allow_egress" {
  for_each = var.allow_egress

  project            = var.project
  name               = "${var.name}-allow-egress-${each.key}"
  network            = google_compute_network.this.id
  direction          = "EGRESS"
  priority           = 1000
  destination_ranges = each.value.ranges

  allow {
    protocol = each.value.protocol
    ports    = each.value.ports
  }
}
