package sshconn

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/internal/testenv/tcpproxy"
)

// closeWithin calls c.Close and returns how long it took and its error, failing the test if it
// has not returned after limit (the test then goes on: Close is left running).
func closeWithin(t *testing.T, c *Client, limit time.Duration) (time.Duration, error) {
	t.Helper()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	select {
	case err := <-done:
		return time.Since(start), err
	case <-time.After(limit):
		t.Fatalf("Close has not returned after %s", limit)
		return 0, nil
	}
}

// TestCloseWhenTheServerHangs closes a client whose link went silent (tcpproxy.Stall: nothing
// is read or answered any more) while connections through it are busy writing and a keepalive
// is waiting for its reply, directly and through a jump host. A cancelled GitHub job has 2.5s
// between SIGTERM and SIGKILL: Close must be done well within that.
func TestCloseWhenTheServerHangs(t *testing.T) {
	t.Parallel()
	localDaemonID(t)
	k := sshd.NewKey(t, sshd.Ed25519)
	target := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{k.Public}})
	jump := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{k.Public}})
	for _, viaJump := range []bool{false, true} {
		name := map[bool]string{false: "direct", true: "through a jump host"}[viaJump]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := config(target, k.OpenSSH(t))
			cfg.KeepaliveInterval = 250 * time.Millisecond
			cfg.KeepaliveMaxMissed = 100 // the stall must not be noticed: Close meets it
			var proxy *tcpproxy.Proxy
			if viaJump {
				proxy = tcpproxy.Start(t, jump.Addr())
				cfg.Jump = &Endpoint{Host: "127.0.0.1", Port: proxy.Port(), HostFingerprint: jump.Fingerprint()}
			} else {
				proxy = tcpproxy.Start(t, target.Addr())
				cfg.Port = proxy.Port()
				cfg.KnownHosts = ""
				cfg.HostFingerprint = target.Fingerprint()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := Dial(ctx, cfg, newLog())
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			var conns []net.Conn
			for i := 0; i < 4; i++ {
				conn, err := c.DialContext(ctx, "unix", "")
				if err != nil {
					t.Fatalf("DialContext: %v", err)
				}
				conns = append(conns, conn)
			}
			if n := proxy.Stall(); n != 1 {
				t.Fatalf("stalled %d connections, want 1", n)
			}
			// Writers fill the channel windows and the buffers, then block.
			var writers sync.WaitGroup
			chunk := bytes.Repeat([]byte("x"), 64<<10)
			for _, conn := range conns {
				writers.Add(1)
				go func() {
					defer writers.Done()
					for {
						if _, err := conn.Write(chunk); err != nil {
							return
						}
					}
				}()
			}
			time.Sleep(time.Second) // writes block, keepalives go unanswered
			took, err := closeWithin(t, c, 5*time.Second)
			if err != nil || took > closeBudget {
				t.Errorf("Close() = %v after %s, want nil within %s", err, took, closeBudget)
			}
			if _, err := c.DialContext(ctx, "unix", ""); !errors.Is(err, ErrClosed) {
				t.Errorf("DialContext after Close: %v, want ErrClosed", err)
			}
			written := make(chan struct{})
			go func() {
				writers.Wait()
				close(written)
			}()
			select {
			case <-written:
			case <-time.After(2 * time.Second):
				t.Errorf("writes through the client still block 2s after Close")
			}
		})
	}
}

// TestCloseKeepsToItsBudget makes one of the client's goroutines never end, as a hang in
// x/crypto/ssh or in this package would: Close must still return, with an error, after
// closeBudget.
func TestCloseKeepsToItsBudget(t *testing.T) {
	t.Parallel()
	k := sshd.NewKey(t, sshd.Ed25519)
	s := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{k.Public}})
	log := newLog()
	c, err := Dial(context.Background(), config(s, k.OpenSSH(t)), log)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	stuck := make(chan struct{})
	defer close(stuck)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		<-stuck
	}()
	took, err := closeWithin(t, c, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "did not finish closing within 2s") {
		t.Errorf("Close() = %v, want an error saying it gave up", err)
	}
	if took < closeBudget || took > closeBudget+time.Second {
		t.Errorf("Close took %s, want about %s", took, closeBudget)
	}
	if !strings.Contains(log.String(), "did not finish closing within 2s") {
		t.Errorf("log does not say Close gave up:\n%s", log)
	}
}
