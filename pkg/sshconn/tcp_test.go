package sshconn

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/internal/testenv/tcpproxy"
)

// tcpEnv starts sshd behind a proxy and returns a Client connected to it through the proxy.
func tcpEnv(t *testing.T, opts sshd.Options) (*Client, *tcpproxy.Proxy) {
	t.Helper()
	k := sshd.NewKey(t, sshd.Ed25519)
	opts.AuthorizedKeys = append(opts.AuthorizedKeys, k.Public)
	s := sshd.Start(t, opts)
	proxy := tcpproxy.Start(t, s.Addr())
	cfg := config(s, k.OpenSSH(t))
	cfg.Port = proxy.Port()
	cfg.KnownHosts = ""
	cfg.HostFingerprint = s.Fingerprint()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dial(ctx, cfg, nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, proxy
}

func TestDialTCPCarriesHTTPAndReconnects(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	c, proxy := tcpEnv(t, sshd.Options{})
	remote := strings.TrimPrefix(srv.URL, "http://")
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) { return c.DialTCP(ctx, network, remote) },
	}}
	get := func() string {
		t.Helper()
		resp, err := client.Get("http://web.invalid/x")
		if err != nil {
			t.Fatalf("GET through SSH: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got, want := get(), "hello /x"; got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
	client.CloseIdleConnections()
	if n := proxy.Cut(); n != 1 {
		t.Fatalf("cut closed %d connections, want 1", n)
	}
	if got, want := get(), "hello /x"; got != want {
		t.Errorf("after a cut, body = %q, want %q", got, want)
	}
	if st := c.Stats(); st.Reconnects != 1 || st.Channels != 2 {
		t.Errorf("Stats() = %+v, want 1 reconnect and 2 channels", st)
	}
}

func TestDialTCPErrors(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	for _, tc := range []struct {
		name    string
		opts    sshd.Options
		network string
		want    string
	}{
		{"nothing listens", sshd.Options{}, "tcp", "failed to reach " + closed},
		{"forwarding forbidden", sshd.Options{DisableTCPForwarding: true}, "tcp", "allows TCP forwarding"},
		{"not tcp", sshd.Options{}, "udp", "only tcp is supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := tcpEnv(t, tc.opts)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			nc, err := c.DialTCP(ctx, tc.network, closed)
			if err == nil {
				nc.Close()
				t.Fatal("DialTCP succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}
