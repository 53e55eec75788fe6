package sshconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/twittix/infra/pkg/logging"
)

// How the Docker socket is reached, as Stats.Transport reports it.
const (
	TransportStreamLocal = "direct-streamlocal"
	TransportDialStdio   = "dial-stdio"
)

// ErrClosed is returned by DialContext after Close.
var ErrClosed = errors.New("sshconn: client closed")

// Client carries connections to the remote Docker socket over one SSH connection, re-established
// when it dies. It is safe for concurrent use.
type Client struct {
	plan *plan
	log  logging.Logger

	stop     context.Context // done when Close is called
	stopFunc context.CancelFunc
	wg       sync.WaitGroup // the goroutines watching connections
	stats    counters

	mu     sync.Mutex
	conn   *sshConn
	flight *flight
	closed bool

	// stdio is set once direct-streamlocal was refused and `docker system dial-stdio` was found
	// to work: from then on every dial runs it in a session. sessions bounds concurrent sessions
	// below OpenSSH's MaxSessions.
	stdio    atomic.Bool
	sessions chan struct{}
	// streamlocalOK is set once a direct-streamlocal channel opened: a later refusal means the
	// socket went away (dockerd restarting), not that the server forbids socket forwarding.
	streamlocalOK atomic.Bool
	// deciding serializes the dial-stdio probes that decide the transport.
	deciding chan struct{}
}

// flight is a connect in progress, shared by every DialContext that needs it.
type flight struct {
	done chan struct{}
	conn *sshConn
	err  error
}

// Stats are a Client's counters.
type Stats struct {
	// Attempts counts connect attempts, failed ones included.
	Attempts int64
	// Connections counts SSH connections established: 1, plus one per reconnect.
	Connections int64
	// Reconnects counts connections re-established after the previous one died.
	Reconnects int64
	// Channels counts connections to the Docker socket opened through SSH.
	Channels int64
	// Transport is TransportStreamLocal, or TransportDialStdio once the server refused a
	// direct-streamlocal channel and `docker system dial-stdio` reached the daemon instead.
	Transport string
}

// Dial validates cfg, connects (retrying network errors, failing fast on authentication and host
// key errors) and returns a Client whose DialContext reaches the remote Docker socket. log
// receives connection events (nil discards them); it never receives secrets.
func Dial(ctx context.Context, cfg Config, log logging.Logger) (*Client, error) {
	p, err := cfg.plan()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = logging.Discard
	}
	if p.cfg.InsecureIgnoreHostKey {
		log.Warnf("ssh: %s is set: host keys are NOT verified, so anyone on the network path to %s can impersonate it and see every Docker API call, registry credentials included; set %s or %s instead",
			p.target.names.insecure, p.target.host, p.target.names.knownHosts, p.target.names.fingerprint)
	}
	c := &Client{plan: p, log: log, sessions: make(chan struct{}, maxStdioSessions), deciding: make(chan struct{}, 1)}
	c.stop, c.stopFunc = context.WithCancel(context.Background())
	if _, err := c.current(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// DialContext opens a connection to the Docker socket on the remote host (Config.DockerSocket),
// whatever network and addr say, so that it can be given to moby's client.WithDialContext. It
// uses a direct-streamlocal@openssh.com channel or, once the server refused one, a session
// running `docker system dial-stdio`. When the SSH connection died, it first reconnects.
func (c *Client) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	for try := 0; ; try++ {
		conn, err := c.current(ctx)
		if err != nil {
			return nil, err
		}
		nc, err := c.open(ctx, conn)
		if err == nil {
			c.stats.channels.Add(1)
			return nc, nil
		}
		if ctx.Err() != nil || try > 0 || !broken(conn, err) {
			return nil, err
		}
		conn.kill(fmt.Errorf("opening a channel failed: %w", err))
	}
}

// broken reports whether err means the SSH connection itself is gone.
func broken(conn *sshConn, err error) bool {
	return !conn.alive() || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)
}

// open opens a connection to the Docker socket over conn.
func (c *Client) open(ctx context.Context, conn *sshConn) (net.Conn, error) {
	if c.stdio.Load() {
		return c.dialStdio(ctx, conn)
	}
	socket := c.plan.cfg.DockerSocket
	nc, err := withContext(ctx, func() (net.Conn, error) { return conn.client.Dial("unix", socket) })
	if err == nil {
		c.streamlocalOK.Store(true)
		return &channelConn{Conn: nc}, nil
	}
	var refused *ssh.OpenChannelError
	if !errors.As(err, &refused) {
		return nil, fmt.Errorf("failed to open the Docker socket %s over SSH: %w", socket, err)
	}
	return c.refused(ctx, conn, refused)
}

// refused decides what to do after the server refused a direct-streamlocal channel. OpenSSH
// (9.2 at least) refuses with the same "open failed" (ConnectionFailed) whether it forbids socket
// forwarding or nothing listens at the path, so only a Prohibited refusal switches to dial-stdio
// at once. After any other, if a channel opened earlier the socket went away (dockerd restarting):
// that is reported and the next dial tries direct-streamlocal again. Otherwise dial-stdio is
// tried once, with a ping: it becomes the transport if the daemon answers, else both errors are
// reported and nothing changes.
func (c *Client) refused(ctx context.Context, conn *sshConn, refused *ssh.OpenChannelError) (net.Conn, error) {
	socket := c.plan.cfg.DockerSocket
	if refused.Reason != ssh.Prohibited {
		if c.streamlocalOK.Load() {
			return nil, fmt.Errorf("failed to open the Docker socket %s over SSH: %w: it opened earlier on this connection, so dockerd may be restarting: check that it runs (%s)",
				socket, refused, c.plan.cfg.name(FieldDockerSocket))
		}
		select {
		case c.deciding <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		defer func() { <-c.deciding }()
		if c.streamlocalOK.Load() {
			return c.open(ctx, conn) // the socket appeared while we waited
		}
		if !c.stdio.Load() {
			if err := c.probeStdio(ctx, conn); err != nil {
				msg := fmt.Sprintf("%v", err)
				if field := string(c.plan.cfg.name(FieldDockerSocket)); !strings.Contains(msg, field) {
					msg += fmt.Sprintf(": check %s and that dockerd runs there", field)
				}
				return nil, fmt.Errorf("failed to open the Docker socket %s over SSH: %w (nothing listens there, or the server forbids socket forwarding), and `docker system dial-stdio` could not reach it either: %s",
					socket, refused, msg)
			}
		}
	}
	if c.stdio.CompareAndSwap(false, true) {
		c.log.Infof("ssh: %s refused to forward %s (%v); using `docker system dial-stdio` in SSH sessions instead (AllowStreamLocalForwarding yes in its sshd_config allows the faster path)",
			c.plan.target.addr, socket, refused)
	}
	return c.dialStdio(ctx, conn)
}

// probeStdio runs `docker system dial-stdio` once and pings the daemon through it.
func (c *Client) probeStdio(ctx context.Context, conn *sshConn) error {
	ctx, cancel := context.WithTimeout(ctx, stdioProbeTimeout)
	defer cancel()
	nc, err := c.dialStdio(ctx, conn)
	if err != nil {
		return err
	}
	return httpPing(ctx, nc)
}

// stdioProbeTimeout bounds the ping that decides whether dial-stdio works.
const stdioProbeTimeout = 15 * time.Second

// withContext runs open and returns its result, or ctx's error if ctx ends first (the connection
// opened late is then closed).
func withContext(ctx context.Context, open func() (net.Conn, error)) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type result struct {
		nc  net.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		nc, err := open()
		done <- result{nc, err}
	}()
	select {
	case r := <-done:
		return r.nc, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.nc != nil {
				r.nc.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// current returns the live SSH connection, connecting first if there is none or it died.
// Concurrent callers share one connect.
func (c *Client) current(ctx context.Context) (*sshConn, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, ErrClosed
		}
		if c.conn != nil && c.conn.alive() {
			conn := c.conn
			c.mu.Unlock()
			return conn, nil
		}
		if f := c.flight; f != nil {
			c.mu.Unlock()
			select {
			case <-f.done:
				if f.err != nil && !errors.Is(f.err, context.Canceled) && !errors.Is(f.err, context.DeadlineExceeded) {
					return nil, f.err
				}
				continue // the leader gave up on its own context: try again
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		f := &flight{done: make(chan struct{})}
		c.flight = f
		lost := c.conn
		c.mu.Unlock()

		f.conn, f.err = c.connect(ctx, lost)
		c.mu.Lock()
		c.flight = nil
		if f.err == nil && c.closed {
			f.conn.kill(ErrClosed)
			f.conn, f.err = nil, ErrClosed
		}
		if f.err == nil {
			c.conn = f.conn
			f.conn.start(&c.wg, c.plan.cfg.KeepaliveInterval, c.plan.cfg.KeepaliveMaxMissed)
		}
		close(f.done)
		c.mu.Unlock()
		return f.conn, f.err
	}
}

// connect makes a new SSH connection, replacing lost if it is not nil.
func (c *Client) connect(ctx context.Context, lost *sshConn) (*sshConn, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(c.stop, cancel)()
	if lost != nil {
		c.log.Warnf("ssh: the connection to %s was lost (%v); reconnecting", c.plan.describe(), lost.reason())
	}
	conn, err := connect(ctx, c.plan, c.log, &c.stats)
	if err != nil {
		return nil, err
	}
	if lost != nil {
		c.stats.reconnects.Add(1)
		c.log.Infof("ssh: reconnected to %s (reconnect %d)", c.plan.describe(), c.stats.reconnects.Load())
	} else {
		c.log.Infof("ssh: connected to %s (%s)", c.plan.describe(), conn.serverVersion())
	}
	return conn, nil
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	s := Stats{
		Attempts:    c.stats.attempts.Load(),
		Connections: c.stats.connections.Load(),
		Reconnects:  c.stats.reconnects.Load(),
		Channels:    c.stats.channels.Load(),
		Transport:   TransportStreamLocal,
	}
	if c.stdio.Load() {
		s.Transport = TransportDialStdio
	}
	return s
}

// closeBudget bounds how long Close waits for the client's goroutines. A cancelled GitHub job
// gets SIGINT, then SIGTERM 7.5s later and SIGKILL 2.5s after that: cleanup must fit.
const closeBudget = 2 * time.Second

// Close closes the SSH connection and every connection opened through it, and waits for the
// client's goroutines to end, for closeBudget at most: it then returns an error and leaves them
// behind. DialContext fails with ErrClosed afterwards.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	conn := c.conn
	c.mu.Unlock()
	c.stopFunc()
	done := make(chan struct{})
	go func() {
		if conn != nil {
			conn.kill(ErrClosed)
		}
		c.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(closeBudget):
		c.log.Warnf("ssh: the connection to %s did not finish closing within %s; giving up on it", c.plan.describe(), closeBudget)
		return fmt.Errorf("sshconn: the connection to %s did not finish closing within %s", c.plan.describe(), closeBudget)
	}
}
