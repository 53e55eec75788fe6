mock_provider "google" {}

variables {
  project = "twittix-prod"
  region  = "europe-west1"
}

run "deny_by_default" {
  command = plan

  assert {
    condition     = google_compute_firewall.deny_all_ingress.direction == "INGRESS" && one(google_compute_firewall.deny_all_ingress.deny).protocol == "all" && google_compute_firewall.deny_all_ingress.source_ranges == toset(["0.0.0.0/0"])
    error_message = "Every inbound connection is denied by default."
  }

  assert {
    condition     = google_compute_firewall.deny_all_egress.direction == "EGRESS" && one(google_compute_firewall.deny_all_egress.deny).protocol == "all" && google_compute_firewall.deny_all_egress.priority > google_compute_firewall.allow_egress["https"].priority
    error_message = "Every outbound connection is denied below the allow rules."
  }

  assert {
    condition     = keys(google_compute_firewall.allow_egress) == ["https"] && one(google_compute_firewall.allow_egress["https"].allow).ports == tolist(["443"])
    error_message = "Only HTTPS goes out by default."
  }

  assert {
    condition     = google_compute_network.this.auto_create_subnetworks == false && google_compute_subnetwork.run.ip_cidr_range == "10.8.0.0/24" && google_compute_subnetwork.run.private_ip_google_access
    error_message = "A custom-mode network with the Direct VPC egress subnet."
  }

  assert {
    condition     = google_compute_router_nat.this.source_subnetwork_ip_ranges_to_nat == "LIST_OF_SUBNETWORKS" && google_compute_router_nat.this.nat_ip_allocate_option == "AUTO_ONLY"
    error_message = "Cloud NAT serves the subnet."
  }
}

run "subnet_too_small" {
  command = plan

  variables {
    subnet_cidr = "10.8.0.0/28"
  }

  expect_failures = [var.subnet_cidr]
}
