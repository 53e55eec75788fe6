package tunnel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/twittix/infra/pkg/logging"
	"github.com/twittix/infra/pkg/sshconn"
)

// Dialer is the SSH connection forwards go through: *sshconn.Client.
type Dialer interface {
	// DialTCP opens a connection to addr from the server, reconnecting first if needed.
	DialTCP(ctx context.Context, addr string) (net.Conn, error)
	// Connected returns a channel closed when the current SSH connection dies, connecting first
	// if needed.
	Connected(ctx context.Context) (<-chan struct{}, error)
	// Close closes the SSH connection without waiting for the server, which ends every read and
	// write of the connections DialTCP opened. Serve calls it when it stops: closing a channel
	// alone only sends a message, and a read waiting on a silent link would wait for keepalives
	// to kill it.
	Close() error
}

// Backoff bounds the waits between reconnect attempts: the first wait is Initial, each next one
// doubles, up to Max.
type Backoff struct {
	Initial, Max time.Duration
}

// DefaultBackoff is the reconnect backoff of a Tunnel.
var DefaultBackoff = Backoff{Initial: 500 * time.Millisecond, Max: 15 * time.Second}

// Tunnel is a set of bound forwards.
type Tunnel struct {
	bindings []Binding
	backoff  Backoff
	log      logging.Logger

	mu     sync.Mutex
	conns  map[net.Conn]bool // the forwarded connections, true for the ends opened through SSH
	closed bool
	wg     sync.WaitGroup
}

// closeBudget bounds how long Serve waits, once stopped, for its forwarded connections to end:
// "Ctrl-C closes everything within 2 s", the SSH connection's own teardown included.
const closeBudget = 1500 * time.Millisecond

// Open binds the local port of every forward, all or none: it returns every problem at once.
// Close the Tunnel (or run Serve, which does) to release them. log receives connection events;
// nil discards them.
func Open(forwards []Forward, log logging.Logger) (*Tunnel, error) {
	if log == nil {
		log = logging.Discard
	}
	t := &Tunnel{backoff: DefaultBackoff, log: log, conns: map[net.Conn]bool{}}
	var errs []error
	for _, f := range forwards {
		b, err := listen(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		t.bindings = append(t.bindings, b)
	}
	if err := errors.Join(errs...); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// SetBackoff replaces DefaultBackoff for this tunnel; call it before Serve.
func (t *Tunnel) SetBackoff(b Backoff) { t.backoff = b }

// Bindings returns the bound forwards, in the order given to Open.
func (t *Tunnel) Bindings() []Binding { return append([]Binding(nil), t.bindings...) }

// Close closes every listener and every forwarded connection. It is safe to call more than once.
func (t *Tunnel) Close() {
	for _, c := range t.closeLocal() {
		c.Close()
	}
}

// closeLocal closes every listener and the local end of every forwarded connection, and returns
// the ends opened through SSH, for the caller to close: closing one sends a message on the SSH
// connection, which blocks while a hung link's buffers are full, so never under t.mu.
func (t *Tunnel) closeLocal() []net.Conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	for _, b := range t.bindings {
		b.ln.Close()
	}
	var remote []net.Conn
	for c, viaSSH := range t.conns {
		if viaSSH {
			remote = append(remote, c)
			continue
		}
		c.Close()
	}
	return remote
}

// Serve forwards every connection the listeners accept through d until ctx ends (it then returns
// nil) or reconnecting fails in a way no retry can fix (a host key or authentication error, which
// it returns). Either way it closes everything before returning, d included, without waiting for
// the server: within closeBudget even when the link is hung.
func (t *Tunnel) Serve(ctx context.Context, d Dialer) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	for _, b := range t.bindings {
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			t.accept(ctx, d, b)
		}()
	}
	err := t.keep(ctx, d)
	cancel(err)
	t.shutdown(d)
	return err
}

// shutdown closes the listeners and the local connections, then d, which ends at once every
// read and write over SSH, even on a link that went silent without a reset (the channels' own
// close messages would never be answered); then it waits, for closeBudget at most, for the
// forwarded connections to end.
func (t *Tunnel) shutdown(d Dialer) {
	budget := time.NewTimer(closeBudget)
	defer budget.Stop()
	remote := t.closeLocal()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		_ = d.Close()
		for _, c := range remote {
			c.Close()
		}
	}()
	ended := make(chan struct{})
	go func() {
		t.wg.Wait()
		<-closed
		close(ended)
	}()
	select {
	case <-ended:
	case <-budget.C:
		t.log.Warnf("tunnel: the forwarded connections did not end within %s of closing; leaving them behind", closeBudget)
	}
}

// keep watches the SSH connection and reconnects with backoff as soon as it dies, so that the
// next forwarded connection finds it ready.
func (t *Tunnel) keep(ctx context.Context, d Dialer) error {
	wait := t.backoff.Initial
	for {
		done, err := d.Connected(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if !sshconn.Retryable(err) {
				return fmt.Errorf("tunnel: giving up: %w", err)
			}
			t.log.Warnf("tunnel: %v; the local ports stay open, retrying in %s", err, wait)
			if !sleep(ctx, wait) {
				return nil
			}
			wait = min(2*wait, t.backoff.Max)
			continue
		}
		wait = t.backoff.Initial
		select {
		case <-done:
			// sshconn says the connection was lost when Connected reconnects.
		case <-ctx.Done():
			return nil
		}
	}
}

func (t *Tunnel) accept(ctx context.Context, d Dialer, b Binding) {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				t.log.Warnf("tunnel: %s: accepting failed: %v", b.LocalAddr(), err)
				if sleep(ctx, 50*time.Millisecond) {
					continue
				}
			}
			return
		}
		if !t.track(c, false) {
			c.Close()
			return
		}
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			defer t.untrack(c)
			t.forward(ctx, d, b, c)
		}()
	}
}

// track records c, opened through SSH or not, so that Close closes it; it returns false once the
// tunnel is closed.
func (t *Tunnel) track(c net.Conn, viaSSH bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.conns[c] = viaSSH
	return true
}

func (t *Tunnel) untrack(c net.Conn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
	c.Close()
}

// sleep waits for d or ctx, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}
