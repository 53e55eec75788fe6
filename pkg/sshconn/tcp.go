package sshconn

import (
	"context"
	"errors"
	"fmt"
	"net"

	"golang.org/x/crypto/ssh"
)

// DialTCP opens a connection to the TCP address addr (host:port, resolved by the server) through
// a direct-tcpip channel of the SSH connection, as `ssh -L` does, reconnecting first when the
// connection died. network must be "tcp", "tcp4" or "tcp6". Its signature fits
// http.Transport.DialContext, so every request of an HTTP client can ride the one SSH connection.
// The server must allow it (AllowTcpForwarding yes, and PermitOpen, if set, naming addr).
func (c *Client) DialTCP(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("ssh: cannot forward %s address %s: only tcp is supported", network, addr)
	}
	for try := 0; ; try++ {
		conn, err := c.current(ctx)
		if err != nil {
			return nil, err
		}
		nc, err := withContext(ctx, func() (net.Conn, error) { return conn.client.Dial("tcp", addr) })
		if err == nil {
			c.stats.channels.Add(1)
			return nc, nil
		}
		// The server answers a channel it will not open with an OpenChannelError; any other error
		// (EOF, "unexpected packet in response to channel open" when the connection closes during
		// the open) means the connection is gone, though its watcher may not have noticed yet.
		var refused *ssh.OpenChannelError
		if ctx.Err() != nil || try > 0 || errors.As(err, &refused) {
			return nil, fmt.Errorf("failed to reach %s from %s over SSH (check that the port is published there and that its sshd allows TCP forwarding): %w", addr, c.plan.target.addr, err)
		}
		conn.kill(fmt.Errorf("opening a channel failed: %w", err))
	}
}
