// Package tunnel is the `twittix-infra tunnel` command: developers' SSH tunnels to the
// pre-production swarm. It reads its flags through pkg/action (so that --help documents each),
// resolves the connection as OpenSSH's client would (sshconn.Local: ~/.ssh/config, known_hosts,
// the agent), works out the forwards (-L, and the published ports of --stack from the swarm or
// from its compose files), then runs pkg/tunnel until interrupted.
package tunnel
