package tunnel

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/twittix/infra/internal/actiontest"
	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/pkg/logging"
	"github.com/twittix/infra/pkg/sshconn"
)

// logBuffer is a logging.Logger whose lines a test can read while the tunnel writes them.
type logBuffer struct {
	logging.Logger
	buf *actiontest.SyncBuffer
}

func newLog() *logBuffer {
	buf := &actiontest.SyncBuffer{}
	return &logBuffer{Logger: logging.New(buf), buf: buf}
}

func (l *logBuffer) String() string { return l.buf.String() }

// server is a real sshd and the key that logs in to it as root.
type server struct {
	*sshd.Server
	key string
}

func startServer(t *testing.T) server {
	t.Helper()
	k := sshd.NewKey(t, sshd.Ed25519)
	s := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{k.Public}})
	return server{Server: s, key: k.OpenSSH(t)}
}

// dial connects to s through addr (s itself, or a proxy in front of it), with a keepalive every
// second.
func dial(t *testing.T, s server, addr string, log logging.Logger) *sshconn.Client {
	t.Helper()
	return dialKeepalive(t, s, addr, log, time.Second)
}

// dialKeepalive is dial with a keepalive every interval (0: sshconn's default, 15s).
func dialKeepalive(t *testing.T, s server, addr string, log logging.Logger, interval time.Duration) *sshconn.Client {
	t.Helper()
	host, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	c, err := sshconn.Dial(context.Background(), sshconn.Config{
		Endpoint: sshconn.Endpoint{
			Host: host, Port: port, User: "root", Key: s.key,
			HostFingerprint: s.Fingerprint(),
		},
		ConnectTimeout:    10 * time.Second,
		RetryBackoff:      10 * time.Millisecond,
		KeepaliveInterval: interval,
	}, log)
	if err != nil {
		t.Fatalf("ssh: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// serve runs t.Serve until the test ends, and returns the function that stops it and its error.
func serve(t *testing.T, tun *Tunnel, d Dialer) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tun.Serve(ctx, d) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// echoServer answers every connection with what it receives, until the peer half-closes.
func echoServer(t *testing.T) int {
	t.Helper()
	return tcpServer(t, func(c net.Conn) {
		_, _ = io.Copy(c, c)
		_ = c.(*net.TCPConn).CloseWrite()
	})
}

// tcpServer runs handle on every connection to a random port of 127.0.0.1 and returns the port.
func tcpServer(t *testing.T, handle func(net.Conn)) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				continue
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().(*net.TCPAddr).Port
}

// roundTrip sends msg to addr, half-closes, and returns everything received.
func roundTrip(addr, msg string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, msg); err != nil {
		return "", err
	}
	_ = c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	return string(got), err
}

// waitFor polls cond until it holds or timeout passes, and reports whether it held.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}
