// Package dockertest gives the Swarm tests and benchmarks a real Docker daemon in swarm mode: it
// connects to it (failing with instructions when there is none), builds FROM-scratch test images
// around a static Go HTTP server, names stacks uniquely and removes them afterwards.
//
// Nothing here is a fake: every helper talks to the daemon through the Engine API.
package dockertest
