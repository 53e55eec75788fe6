// Package field is the one error type the domain packages (cloudbuild, cloudrun, ...) give for a
// problem with a field of their requests, and the one way a caller renames those fields after
// its own terms (an action's inputs) in the messages its users read.
//
// A domain package names its fields by Name values and reports a problem with Errorf or
// Missingf; an action keeps one table from those names to its inputs and passes the errors
// through Rename before showing them.
package field
