// Package loadtestaction is the glue of the load-test action (twittix-infra load-test): it
// declares the action's inputs and outputs, reads and validates them all before anything is sent,
// connects to the manager over SSH (or dials locally), runs the test with package loadtest, and
// writes the result, the verdict and the step summary.
package loadtestaction
