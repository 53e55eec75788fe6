// Package tunnel forwards local TCP ports to ports reachable from an SSH server, as `ssh -N -L`
// does, over one SSH connection (a *sshconn.Client) that it keeps alive.
//
// Open binds every local listener first (a port taken is an error, or, for a Forward marked
// Flexible, the next free port). Serve then accepts connections and carries each one in its own
// direct-tcpip channel. When the SSH connection drops, the listeners stay open: Serve reconnects
// with backoff, and connections accepted meanwhile wait for the new connection instead of failing.
// A connection whose channel was on the lost SSH connection is reset, so that its client sees an
// error rather than an end of data it could take for a complete answer. Serve returns when its
// context ends, having closed every listener and connection, or when reconnecting is hopeless
// (a host key or authentication error).
//
// Check opens each forwarded port once and reports what answers there (an HTTP status where the
// service speaks HTTP).
package tunnel
