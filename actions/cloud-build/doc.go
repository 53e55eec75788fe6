// Package cloudbuild is the glue of the cloud-build action (twittix-infra cloud-build): it
// declares the action's inputs and outputs, reads and validates them, connects to Google Cloud,
// uploads the source and runs the build with package pkg/cloudbuild, then writes the outputs
// (build_id, status, log_url, images, digest, duration) and the step summary from the result.
// With list_files it only prints what would be uploaded.
//
// Tests that run the real binary (to drive its signal handling as the runner does) point it at
// in-process fakes with TWITTIX_INFRA_TEST_ENDPOINTS (see TestEndpointsEnv): loopback addresses
// only, no authentication, announced with a warning. Nothing else reads that variable.
package cloudbuild
