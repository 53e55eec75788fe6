output "network" {
  description = "The VPC network's self link, for Cloud Run's Direct VPC egress."
  value       = google_compute_network.this.self_link
}

output "subnetwork" {
  description = "The Direct VPC egress subnet's self link."
  value       = google_compute_subnetwork.run.self_link
}

output "nat" {
  description = "The Cloud NAT gateway's name."
  value       = google_compute_router_nat.this.name
}
