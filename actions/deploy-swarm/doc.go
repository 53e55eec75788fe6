// Package deployswarm is the deploy-swarm action: `twittix-infra deploy-swarm` deploys a compose
// stack to a Docker Swarm manager reached over SSH (pkg/sshconn) or a local socket, waits for every
// service at once and rolls back on failure (pkg/swarm).
//
// This package only reads the inputs, connects, calls swarm.Deploy and writes the outputs and the
// step summary; see action.yml and README.md for the inputs.
package deployswarm
