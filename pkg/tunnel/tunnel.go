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
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Open binds the local port of every forward, all or none: it returns every problem at once.
// Close the Tunnel (or run Serve, which does) to release them. log receives connection events;
// nil discards them.
func Open(forwards []Forward, log logging.Logger) (*Tunnel, error) {
	if log == nil {
		log = logging.Discard
	}
	t := &Tunnel{backoff: DefaultBackoff, log: log, conns: map[net.Conn]struct{}{}}
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
	t.mu.Lock()
	t.closed = true
	for _, b := range t.bindings {
		b.ln.Close()
	}
	for c := range t.conns {
		c.Close()
	}
	t.mu.Unlock()
}

// Serve forwards every connection the listeners accept through d until ctx ends (it then returns
// nil) or reconnecting fails in a way no retry can fix (a host key or authentication error, which
// it returns). Either way it closes everything before returning, without waiting for the server.
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
	t.Close()
	t.wg.Wait()
	return err
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
		if !t.track(c) {
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

// track records c so that Close closes it; it returns false once the tunnel is closed.
func (t *Tunnel) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.conns[c] = struct{}{}
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
