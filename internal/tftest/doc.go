// Package tftest holds the Terraform tests: on the real terraform binary, offline, with the
// schema-only hashicorp/google 6.50.0 provider of internal/tfprovider, it checks the formatting
// of terraform/, validates the root module and every module, runs their terraform test files,
// and proves on a fixture module that a misspelled argument, a missing required argument or a
// wrong nested block fails validation.
package tftest
