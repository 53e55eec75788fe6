package sshconn

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// counters are the live figures behind Stats.
type counters struct {
	attempts, connections, reconnects, channels atomic.Int64
}

// sshConn is one SSH connection to the target (and the jump host connection it goes through).
// It is dead once done is closed; it never comes back to life.
type sshConn struct {
	client *ssh.Client
	jump   *ssh.Client
	tcp    net.Conn // the TCP connection of the first hop: the jump host's, or the target's
	done   chan struct{}

	killOnce sync.Once
	mu       sync.Mutex
	why      error

	probe prober // for DialTCP's connections: is the connection alive now?
}

func newSSHConn(client, jump *ssh.Client, tcp net.Conn) *sshConn {
	return &sshConn{client: client, jump: jump, tcp: tcp, done: make(chan struct{})}
}

// start runs the goroutines that watch the connection: one that notices it closing, one that
// notices the jump host connection closing, and the keepalive. wg tracks them all.
func (c *sshConn) start(wg *sync.WaitGroup, interval time.Duration, maxMissed int) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := c.client.Wait()
		if err == nil || errors.Is(err, io.EOF) {
			err = errors.New("the server closed the connection")
		}
		c.kill(err)
		if c.jump != nil {
			_ = c.jump.Wait()
		}
		close(c.done)
	}()
	if c.jump != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.jump.Wait()
			c.kill(errors.New("the connection to the jump host closed"))
		}()
	}
	if interval > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.keepalive(wg, interval, maxMissed)
		}()
	}
}

// keepalive sends a keepalive@openssh.com request every interval and kills the connection when
// maxMissed intervals pass without a reply (a silent network) or the request fails.
func (c *sshConn) keepalive(wg *sync.WaitGroup, interval time.Duration, maxMissed int) {
	t := time.NewTicker(interval)
	defer t.Stop()
	replies := make(chan error, 1)
	pending, missed := false, 0
	for {
		select {
		case <-c.done:
			return
		case err := <-replies:
			pending = false
			if err != nil {
				c.kill(fmt.Errorf("keepalive failed: %w", err))
				return
			}
			missed = 0
		case <-t.C:
			if pending {
				if missed++; missed >= maxMissed {
					c.kill(fmt.Errorf("no reply to keepalives for %s (%s %s, %s %d)", time.Duration(missed)*interval,
						FieldKeepaliveInterval, interval, FieldKeepaliveMaxMissed, maxMissed))
					return
				}
				continue
			}
			pending = true
			wg.Add(1)
			go func() {
				defer wg.Done()
				// OpenSSH answers this unknown request with a failure: any answer proves the link.
				_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
				replies <- err
			}()
		}
	}
}

// kill closes the connection, recording why the first time. It never waits for the server: the
// TCP connection is closed first, which fails every read and write of the SSH connections over it
// at once. (Closing the target's connection first would send a channel close to the jump host,
// which blocks when the jump host's link is hung and its send buffer full.)
func (c *sshConn) kill(why error) {
	c.killOnce.Do(func() {
		c.mu.Lock()
		c.why = why
		c.mu.Unlock()
		c.tcp.Close()
		if c.jump != nil {
			c.jump.Close()
		}
		c.client.Close()
	})
}

// alive reports whether the connection is still usable.
func (c *sshConn) alive() bool {
	select {
	case <-c.done:
		return false
	default:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.why == nil
}

// reason says why the connection died.
func (c *sshConn) reason() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.why
}

// serverVersion returns the target's SSH identification string.
func (c *sshConn) serverVersion() string { return string(c.client.ServerVersion()) }
