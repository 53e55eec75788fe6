// Package sshconn reaches the Docker Engine API of a remote host over SSH, in process, with
// golang.org/x/crypto/ssh: no ssh binary, keys and known hosts given as content, host keys
// verified by default, and one SSH connection carrying every API call.
//
// A Config names the server (and optionally a jump host), the key or agent to log in with, and the
// known_hosts lines or SHA256 fingerprints its host key must match. Config.Validate reports every
// problem at once as *FieldError values naming the field (FieldKey, FieldKnownHosts, ...), with a
// sentence saying how to fix it (Config.FieldNames renames the fields for a caller's users);
// Config.Parse does the same and returns the Config with its keys parsed once, for Dial.
// ParsePrivateKey, ParseKnownHosts and ParseFingerprints are the parsers it uses. No error or log
// line ever contains a private key or a passphrase.
//
// Dial connects, retrying network errors with backoff but failing at the first attempt on an
// authentication or host key error (*HostKeyError prints the server's key and how to pin it).
// The returned Client's DialContext opens a connection to the remote Docker socket: a
// direct-streamlocal@openssh.com channel, or, when the server refuses socket forwarding, a session
// running `docker system dial-stdio`. OpenSSH refuses a forbidden forwarding and a missing socket
// alike, so a refusal switches to dial-stdio (for the rest of the Client's life) only once a
// dial-stdio ping reached the daemon; otherwise both errors are reported, naming docker_socket.
// Once a channel opened, a refusal is a daemon restart: it is reported and nothing switches.
// Keepalives detect a dead link; the next DialContext after the connection died reconnects, and
// Stats counts it. Close returns within about two seconds, even when the server hangs.
//
// Typical use, with the moby client:
//
//	c, err := sshconn.Dial(ctx, sshconn.Config{
//		Endpoint: sshconn.Endpoint{
//			Host: "twittix-1.example.com", User: "deploy",
//			Key: key, Passphrase: passphrase, KnownHosts: knownHosts,
//		},
//	}, log)
//	if err != nil {
//		return err
//	}
//	defer c.Close()
//	docker, err := c.DockerClient(ctx) // pings and negotiates the API version
//	if err != nil {
//		return err
//	}
//	defer docker.Close()
//
// DockerClient is a shorthand for client.New(client.WithHost("unix://"+socket),
// client.WithDialContext(c.DialContext)) followed by a negotiating Ping.
package sshconn
