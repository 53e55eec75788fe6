package sshconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"golang.org/x/crypto/ssh"
)

// ErrConnectionLost is returned by the Read of a connection DialTCP opened when the SSH connection
// carrying it died: the data stopped because the link broke, not because the remote end closed.
var ErrConnectionLost = errors.New("the SSH connection carrying it was lost")

// DialTCP opens a TCP connection to addr (host:port, resolved by the server) through the SSH
// connection, as `ssh -L` does (a direct-tcpip channel). When the SSH connection died, it first
// reconnects (see Dial for the retries). A *ConnectError means no SSH connection could be had;
// any other error is the server's refusal or failure to reach addr.
func (c *Client) DialTCP(ctx context.Context, addr string) (net.Conn, error) {
	for try := 0; ; try++ {
		conn, err := c.current(ctx)
		if err != nil {
			return nil, err
		}
		nc, err := conn.client.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.stats.channels.Add(1)
			return &tcpConn{Conn: nc, ssh: conn}, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// Only an OpenChannelError is the server's answer; anything else (a write that failed
		// on a connection dying unnoticed yet) means the connection is gone.
		var refused *ssh.OpenChannelError
		if try > 0 || errors.As(err, &refused) && !broken(conn, err) {
			return nil, forwardError(c.plan, addr, err)
		}
		conn.kill(fmt.Errorf("opening a channel failed: %w", err))
	}
}

// forwardError explains a refused direct-tcpip channel.
func forwardError(p *plan, addr string, err error) error {
	var oc *ssh.OpenChannelError
	if errors.As(err, &oc) && oc.Reason == ssh.Prohibited {
		return fmt.Errorf("%s refused to forward to %s (%w): the account %s may not open TCP forwards there (sshd_config AllowTcpForwarding, PermitOpen)",
			p.target.addr, addr, err, p.target.user)
	}
	return fmt.Errorf("%s could not connect to %s (%w): check that a service listens on that port of the server", p.target.addr, addr, err)
}

// Connected returns a channel closed when the current SSH connection dies, connecting first if
// there is none or it died (a *ConnectError when that fails). A caller that keeps connections
// alive waits on it, then calls Connected again to reconnect.
func (c *Client) Connected(ctx context.Context) (<-chan struct{}, error) {
	conn, err := c.current(ctx)
	if err != nil {
		return nil, err
	}
	return conn.done, nil
}

// Retryable reports whether err, returned by Dial, DialTCP or Connected, is a failure to connect
// (a *ConnectError) that a later attempt may overcome: a network failure, not an authentication,
// host key or configuration error, nor a cancelled context. A refused forward is not retryable.
func Retryable(err error) bool {
	var ce *ConnectError
	if !errors.As(err, &ce) {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrClosed) {
		return false
	}
	return retryable(ce.Err)
}

// tcpConn is a direct-tcpip channel that tells a lost SSH connection from the remote end closing.
type tcpConn struct {
	net.Conn
	ssh *sshConn
}

// Read returns ErrConnectionLost instead of io.EOF when the SSH connection died. x/crypto/ssh
// ends every channel of a dead connection with io.EOF, as if each remote end had closed: a request
// on the connection tells the two apart (it fails at once on a dead one). Other errors (the window
// adjustment a read sends failed) mean the connection broke too.
func (t *tcpConn) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	switch {
	case err == nil:
	case !errors.Is(err, io.EOF):
		err = fmt.Errorf("%w (%v)", ErrConnectionLost, err)
	case !t.linkAlive():
		err = fmt.Errorf("%w (%v)", ErrConnectionLost, t.ssh.reason())
	}
	return n, err
}

// CloseWrite half-closes the channel (an SSH EOF), as the remote end sees a TCP FIN.
func (t *tcpConn) CloseWrite() error {
	if cw, ok := t.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// linkAlive reports whether the SSH connection answers a request sent after the call.
func (t *tcpConn) linkAlive() bool {
	return t.ssh.alive() && t.ssh.probe.alive(t.ssh.client)
}
