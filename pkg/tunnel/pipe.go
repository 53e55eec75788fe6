package tunnel

import (
	"context"
	"io"
	"net"
	"sync"

	"github.com/twittix/infra/pkg/sshconn"
)

// forward carries local through a new channel to b's remote address. While the SSH connection is
// down, it waits for the reconnect (with backoff) rather than fail.
func (t *Tunnel) forward(ctx context.Context, d Dialer, b Binding, local net.Conn) {
	remote, err := t.dial(ctx, d, b.Remote())
	if err != nil {
		if ctx.Err() == nil {
			t.log.Warnf("tunnel: %s -> %s: %v", b.LocalAddr(), b.Remote(), err)
		}
		reset(local)
		return
	}
	if !t.track(remote, true) {
		remote.Close()
		return
	}
	defer t.untrack(remote)
	pipe(local, remote)
}

// dial opens a channel to addr, retrying with backoff while no SSH connection can be had.
func (t *Tunnel) dial(ctx context.Context, d Dialer, addr string) (net.Conn, error) {
	wait := t.backoff.Initial
	for {
		c, err := d.DialTCP(ctx, addr)
		if err == nil || !sshconn.Retryable(err) {
			return c, err
		}
		if !sleep(ctx, wait) {
			return nil, ctx.Err()
		}
		wait = min(2*wait, t.backoff.Max)
	}
}

// bufPool holds the copy buffers, 64 KiB: two of the largest data packets x/crypto/ssh accepts.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// pipe copies both ways until both directions end. An end of data from either side is passed on
// as a half-close; a lost SSH connection resets the local connection.
func pipe(local, remote net.Conn) {
	up := make(chan struct{})
	go func() {
		defer close(up)
		if err := copyBuf(remote, local); err != nil {
			remote.Close()
			return
		}
		closeWrite(remote)
	}()
	// Only a clean end of data is passed on as one: a lost SSH connection, or a local write that
	// failed, resets the local connection.
	if err := copyBuf(local, remote); err != nil {
		reset(local)
	} else {
		closeWrite(local)
	}
	<-up
}

func copyBuf(dst io.Writer, src io.Reader) error {
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	_, err := io.CopyBuffer(onlyWriter{dst}, onlyReader{src}, *buf)
	return err
}

// onlyWriter hides ReadFrom and onlyReader hides WriteTo (a local *net.TCPConn has one, which
// allocates a buffer of its own per connection), so that CopyBuffer uses the pooled buffer (and its
// error stays the reader's own, ErrConnectionLost included).
type (
	onlyWriter struct{ io.Writer }
	onlyReader struct{ io.Reader }
)

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		return
	}
	c.Close()
}

// reset closes c with a TCP reset, so that its client sees an error, not an end of data.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}
