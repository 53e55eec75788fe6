// Package provider is a schema-only Terraform provider: it serves the schema of hashicorp/google
// 6.50.0 over the plugin protocol (version 5) so that terraform validate and terraform test with
// mock_provider "google" check configurations against it. It talks to no Google API: validation
// beyond the schema, planning of computed values and applying are left to terraform and its mocks.
package provider
