package sshconn

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/twittix/infra/internal/testenv/sshd"
)

func TestProbeIsSharedAndTellsADeadConnection(t *testing.T) {
	t.Parallel()
	k := sshd.NewKey(t, sshd.Ed25519)
	s := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{k.Public}})
	c, err := Dial(context.Background(), config(s, k.OpenSSH(t)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	conn, err := c.current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	dead := 0
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !conn.probe.alive(conn.client) {
				mu.Lock()
				dead++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if dead > 0 {
		t.Errorf("%d of 50 concurrent probes of a live connection said it was dead", dead)
	}
	conn.kill(errors.New("cut by the test"))
	if conn.probe.alive(conn.client) {
		t.Error("a probe of a killed connection said it was alive")
	}
}

func TestDialTCP(t *testing.T) {
	t.Parallel()
	k := sshd.NewKey(t, sshd.Ed25519)
	s := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{k.Public}})
	c, err := Dial(context.Background(), config(s, k.OpenSSH(t)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		if sc, err := ln.Accept(); err == nil {
			_, _ = io.WriteString(sc, "hi")
			sc.Close()
		}
	}()
	nc, err := c.DialTCP(context.Background(), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(nc)
	if err != nil || string(got) != "hi" {
		t.Errorf("read through the channel = %q, %v; want hi and a clean end (the connection is alive)", got, err)
	}
	nc.Close()
	ln.Close()

	_, err = c.DialTCP(context.Background(), ln.Addr().String())
	if err == nil || Retryable(err) || !strings.Contains(err.Error(), "check that a service listens on that port") {
		t.Errorf("DialTCP to a closed port = %v; want a refusal that is not retryable and says what to check", err)
	}
}
