package tcpproxy

import (
	"bufio"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// echoServer answers every line it reads with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends msg and reads the echo, waiting at most timeout.
func roundTrip(c net.Conn, r *bufio.Reader, msg string, timeout time.Duration) (string, error) {
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(c, msg+"\n"); err != nil {
		return "", err
	}
	return r.ReadString('\n')
}

func TestProxyForwardsCutsAndStalls(t *testing.T) {
	t.Parallel()
	p := Start(t, echoServer(t))

	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if got, err := roundTrip(c, r, "hello", 10*time.Second); err != nil || got != "hello\n" {
		t.Fatalf("through the proxy: got %q, %v; want the echo", got, err)
	}

	if got := p.Cut(); got != 1 {
		t.Errorf("Cut() = %d, want 1 connection closed", got)
	}
	// A cut connection is forgotten at once, not when its copy loops wake up: a Stall or Cut
	// right after must not count it again.
	if got := p.Active(); got != 0 {
		t.Errorf("Active() = %d right after Cut, want 0", got)
	}
	if _, err := roundTrip(c, r, "again", 10*time.Second); err == nil {
		t.Errorf("a cut connection still carries data")
	}

	// A new connection after the cut works, then a stall silences it without closing it.
	c2, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	r2 := bufio.NewReader(c2)
	if got, err := roundTrip(c2, r2, "second", 10*time.Second); err != nil || got != "second\n" {
		t.Fatalf("after a cut: got %q, %v; want the echo", got, err)
	}
	if got := p.Stall(); got != 1 {
		t.Errorf("Stall() = %d, want 1 connection stalled", got)
	}
	_, err = roundTrip(c2, r2, "lost", 300*time.Millisecond)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("stalled connection: err = %v, want a read timeout (open but silent)", err)
	}
	if got, want := p.Accepted(), 2; got != want {
		t.Errorf("Accepted() = %d, want %d", got, want)
	}
	if got := p.Active(); got != 1 {
		t.Errorf("Active() = %d after a stall, want 1 (a stalled connection stays open)", got)
	}
	if got := p.Cut(); got != 1 {
		t.Errorf("Cut() = %d, want the stalled connection closed", got)
	}
}

func TestStallBlocksTheSenderLikeABlackHole(t *testing.T) {
	t.Parallel()
	p := Start(t, echoServer(t))
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, err := roundTrip(c, bufio.NewReader(c), "hello", 10*time.Second); err != nil || got != "hello\n" {
		t.Fatalf("through the proxy: got %q, %v; want the echo", got, err)
	}
	p.Stall()
	// Nobody reads on the other side any more: once the kernel buffers are full, a write
	// blocks (here until its deadline). A proxy that kept reading and dropping would take all.
	chunk := make([]byte, 1<<20)
	deadline := time.Now().Add(10 * time.Second)
	var sent int
	for time.Now().Before(deadline) {
		_ = c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := c.Write(chunk)
		sent += n
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			if got := p.Cut(); got != 1 {
				t.Errorf("Cut() = %d, want the stalled connection closed", got)
			}
			return
		}
		if err != nil {
			t.Fatalf("write to a stalled connection after %d bytes: %v, want it to block", sent, err)
		}
	}
	t.Errorf("%d bytes written to a stalled connection without blocking", sent)
}
