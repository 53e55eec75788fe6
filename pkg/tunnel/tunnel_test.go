package tunnel

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twittix/infra/internal/testenv/tcpproxy"
)

func TestForwardsShareOneSSHConnection(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c := dial(t, s, s.Addr(), nil)
	echo1, echo2 := echoServer(t), echoServer(t)
	tun, err := Open([]Forward{
		{Port: 0, Host: "127.0.0.1", RemotePort: echo1},
		{Port: 0, Host: "localhost", RemotePort: echo2},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, tun, c)

	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		b := tun.Bindings()[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := strings.Repeat("ping "+strconv.Itoa(i), 1000)
			got, err := roundTrip(b.LocalAddr(), msg)
			if err == nil && got != msg {
				err = errors.New("the echo differs from what was sent")
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := c.Stats(); st.Connections != 1 || st.Channels != 40 {
		t.Errorf("stats = %+v, want 1 SSH connection carrying 40 channels", st)
	}
}

func TestRefusedRemotePortFailsOnlyThatConnection(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c := dial(t, s, s.Addr(), nil)
	closed := freePort(t)
	echo := echoServer(t)
	log := newLog()
	tun, err := Open([]Forward{{Host: "127.0.0.1", RemotePort: closed}, {Host: "127.0.0.1", RemotePort: echo}}, log)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, tun, c)
	if got, err := roundTrip(tun.Bindings()[0].LocalAddr(), "x"); err == nil && got != "" {
		t.Errorf("a forward to a closed port answered %q", got)
	}
	if !waitFor(5*time.Second, func() bool { return strings.Contains(log.String(), "check that a service listens on that port") }) {
		t.Errorf("the refused forward was not explained; log:\n%s", log)
	}
	if got, err := roundTrip(tun.Bindings()[1].LocalAddr(), "still here"); err != nil || got != "still here" {
		t.Errorf("the other forward = %q, %v after a refused one", got, err)
	}
}

func TestPortCollision(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port

	t.Run("flexible forwards take the next free port", func(t *testing.T) {
		tun, err := Open([]Forward{{Port: port, Host: "localhost", RemotePort: 80, Flexible: true}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tun.Close()
		b := tun.Bindings()[0]
		if !b.Moved || b.LocalPort <= port || b.LocalPort > port+maxPortScan {
			t.Errorf("binding = port %d, moved %v; want a port just above %d, marked moved", b.LocalPort, b.Moved, port)
		}
	})
	t.Run("a -L forward on a taken port is refused, with every problem at once", func(t *testing.T) {
		tun, err := Open([]Forward{
			{Port: port, Host: "localhost", RemotePort: 80},
			{Bind: "192.0.2.1", Port: 8080, Host: "localhost", RemotePort: 80},
		}, nil)
		if err == nil {
			tun.Close()
			t.Fatal("Open succeeded on a taken port")
		}
		for _, want := range []string{"local port " + strconv.Itoa(port) + " is taken", "choose another local port", "192.0.2.1:8080"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		// All or none: the forwards that could bind were released.
		if l, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
			l.Close()
		}
	})
}

func TestCutMidTransfer(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	proxy := tcpproxy.Start(t, s.Addr())
	log := newLog()
	c := dial(t, s, proxy.Addr(), log)
	chunk := []byte(strings.Repeat("x", 32<<10))
	stream := tcpServer(t, func(c net.Conn) {
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	echo := echoServer(t)
	tun, err := Open([]Forward{{Host: "127.0.0.1", RemotePort: stream}, {Host: "127.0.0.1", RemotePort: echo}}, log)
	if err != nil {
		t.Fatal(err)
	}
	tun.SetBackoff(Backoff{Initial: 20 * time.Millisecond, Max: 100 * time.Millisecond})
	serve(t, tun, c)

	conn, err := net.Dial("tcp", tun.Bindings()[0].LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadFull(conn, make([]byte, 1<<20)); err != nil {
		t.Fatalf("reading the first MiB: %v", err)
	}
	if proxy.Cut() == 0 {
		t.Fatal("the proxy carried no connection to cut")
	}
	n, err := io.Copy(io.Discard, conn)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("the transfer cut mid-way ended with %v after %d more bytes; want a connection reset, not an end of data", err, n)
	}

	if got, err := roundTrip(tun.Bindings()[1].LocalAddr(), "after the cut"); err != nil || got != "after the cut" {
		t.Errorf("a new connection after the cut = %q, %v", got, err)
	}
	if st := c.Stats(); st.Reconnects < 1 {
		t.Errorf("stats = %+v, want a reconnect", st)
	}
	for _, want := range []string{"was lost", "reconnected"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log does not say %q:\n%s", want, log)
		}
	}
}

// gate forwards connections to target while it is up, and closes them at once while it is down
// (a server that went away).
type gate struct {
	ln     net.Listener
	up     atomic.Bool
	target string
}

func startGate(t *testing.T, target string) *gate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{ln: ln, target: target}
	g.up.Store(true)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !g.up.Load() {
				c.Close()
				continue
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); _, _ = io.Copy(s, c); s.Close(); c.Close() }()
			go func() { defer wg.Done(); _, _ = io.Copy(c, s); s.Close(); c.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return g
}

func TestConnectionsWaitWhileTheServerIsUnreachable(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	proxy := tcpproxy.Start(t, s.Addr())
	g := startGate(t, proxy.Addr())
	log := newLog()
	c := dial(t, s, g.ln.Addr().String(), log)
	echo := echoServer(t)
	tun, err := Open([]Forward{{Host: "127.0.0.1", RemotePort: echo}}, log)
	if err != nil {
		t.Fatal(err)
	}
	tun.SetBackoff(Backoff{Initial: 20 * time.Millisecond, Max: 100 * time.Millisecond})
	serve(t, tun, c)

	g.up.Store(false)
	proxy.Cut()
	if !waitFor(10*time.Second, func() bool { return strings.Contains(log.String(), "retrying in") }) {
		t.Fatalf("the tunnel did not report the failed reconnect; log:\n%s", log)
	}
	type answer struct {
		got string
		err error
	}
	done := make(chan answer, 1)
	go func() {
		got, err := roundTrip(tun.Bindings()[0].LocalAddr(), "waited")
		done <- answer{got, err}
	}()
	select {
	case a := <-done:
		t.Fatalf("a connection made while the server is unreachable ended at once: %q, %v", a.got, a.err)
	case <-time.After(300 * time.Millisecond):
	}
	g.up.Store(true)
	select {
	case a := <-done:
		if a.err != nil || a.got != "waited" {
			t.Errorf("the connection that waited = %q, %v; want the echo", a.got, a.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the connection that waited never got through; log:\n%s", log)
	}
}

func TestCancelClosesEverything(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c := dial(t, s, s.Addr(), nil)
	hold := tcpServer(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	tun, err := Open([]Forward{{Host: "127.0.0.1", RemotePort: hold}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := tun.Bindings()[0].LocalAddr()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tun.Serve(ctx, c) }()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("busy")); err != nil {
		t.Fatal(err)
	}
	if !waitFor(5*time.Second, func() bool { return c.Stats().Channels == 1 }) {
		t.Fatal("the connection was not forwarded")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after cancel = %v, want nil", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not return within 2s of its context being cancelled")
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil || errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		t.Errorf("the forwarded connection is still open after Serve returned: read = %v", err)
	}
	if l, err := net.Dial("tcp", addr); err == nil {
		l.Close()
		t.Errorf("the listener %s still accepts after Serve returned", addr)
	}
}

// TestCancelOnAHungLinkClosesWithinTwoSeconds cancels while transfers run both ways over a link
// that went silent without a reset (a dead network): the SSH channels' close messages are never
// answered, and the keepalives (sshconn's default, 45s to give up) have not noticed yet. Serve
// must still return within 2s, the local connections closed.
func TestCancelOnAHungLinkClosesWithinTwoSeconds(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	proxy := tcpproxy.Start(t, s.Addr())
	c := dialKeepalive(t, s, proxy.Addr(), nil, 0)
	chunk := []byte(strings.Repeat("x", 32<<10))
	stream := tcpServer(t, func(c net.Conn) {
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	sink := tcpServer(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	tun, err := Open([]Forward{{Host: "127.0.0.1", RemotePort: stream}, {Host: "127.0.0.1", RemotePort: sink}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- tun.Serve(ctx, c) }()

	down, err := net.Dial("tcp", tun.Bindings()[0].LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	_ = down.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadFull(down, make([]byte, 1<<20)); err != nil {
		t.Fatalf("reading the first MiB: %v", err)
	}
	up, err := net.Dial("tcp", tun.Bindings()[1].LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	go func() {
		for {
			if _, err := up.Write(chunk); err != nil {
				return
			}
		}
	}()
	if !waitFor(10*time.Second, func() bool { return c.Stats().Channels == 2 }) {
		t.Fatal("the upload was not forwarded")
	}
	if proxy.Stall() == 0 {
		t.Fatal("the proxy carried no connection to stall")
	}
	// Let the transfers fill the hung link's buffers.
	time.Sleep(200 * time.Millisecond)

	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after cancel = %v, want nil", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not return within 2s of its context being cancelled, on a hung link")
	}
	t.Logf("Serve returned %s after the cancel", time.Since(start).Round(time.Millisecond))
	_ = down.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, down); isTimeout(err) {
		t.Errorf("the download is still open after Serve returned: %v", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
