// Package tfprovider installs a schema-only hashicorp/google 6.50.0 provider for terraform, so
// that terraform init, validate and test run offline against the real provider's schema.
// The schema lives in the schema subpackage, its extraction in extract, the server in provider.
package tfprovider
