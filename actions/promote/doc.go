// Package promote is the glue of the promote action (twittix-infra promote): it declares the
// action's inputs and outputs, reads and validates them, connects to Google Cloud, runs the mode
// asked (deploy, shift, canary or rollback) with package cloudrun, and writes the outputs and the
// step summary from the result.
package promote
