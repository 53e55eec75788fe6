// Package logging is the small interface through which domain packages report progress.
//
// Domain packages (pkg/swarm, pkg/cloudbuild, pkg/cloudrun, ...) never print on their own: they are
// given a Logger. pkg/action implements it on top of the GitHub Actions log (groups, warning
// annotations, masking); New implements it on a plain io.Writer for tests and tools.
package logging
