// Package deployswarm is the deploy-swarm action: `twittix-infra deploy-swarm` deploys a compose
// stack to a Docker Swarm manager reached over SSH (pkg/sshconn) or a local socket, waits for every
// service at once and rolls back on failure (pkg/swarm).
//
// This package reads the inputs once into typed values (the env variables, the SSH configuration
// with its key parsed), connects, calls swarm.Deploy, and renders the outputs and the step
// summary (render.go, timeline.go, on action.Summary) from the swarm.Result; see action.yml and
// README.md for the inputs.
package deployswarm
