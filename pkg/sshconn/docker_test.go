package sshconn

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"golang.org/x/crypto/ssh"

	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/internal/testenv/tcpproxy"
)

const localDockerSocket = "/var/run/docker.sock"

// localDaemonID returns the ID of the docker daemon on this machine, asked directly on its socket,
// to check that the API reached over SSH is that daemon.
func localDaemonID(t *testing.T) string {
	t.Helper()
	cli, err := client.New(client.WithHost("unix://" + localDockerSocket))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		t.Fatalf("these tests need a running dockerd on %s (start it with `dockerd &`, or `service docker start`): %v", localDockerSocket, err)
	}
	return info.Info.ID
}

// localAPIVersion returns the API version a moby client negotiates with the local daemon on its
// socket: the version the daemon reports in its ping, capped by client.MaxAPIVersion.
func localAPIVersion(t *testing.T) string {
	t.Helper()
	cli, err := client.New(client.WithHost("unix://" + localDockerSocket))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ping, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	if err != nil {
		t.Fatalf("these tests need a running dockerd on %s (start it with `dockerd &`, or `service docker start`): %v", localDockerSocket, err)
	}
	if ping.APIVersion == "" || cli.ClientVersion() == "" {
		t.Fatalf("the local daemon reported no API version (ping %+v)", ping)
	}
	return cli.ClientVersion()
}

// dockerEnv starts an sshd (options opts) in front of the local dockerd, connects to it through a
// TCP proxy the test can cut, and returns the Client, its Docker client and the proxy.
func dockerEnv(t *testing.T, opts sshd.Options, tune func(*Config)) (*Client, *client.Client, *tcpproxy.Proxy, *logBuffer) {
	t.Helper()
	k := sshd.NewKey(t, sshd.Ed25519)
	opts.AuthorizedKeys = append(opts.AuthorizedKeys, k.Public)
	s := sshd.Start(t, opts)
	proxy := tcpproxy.Start(t, s.Addr())
	cfg := config(s, k.OpenSSH(t))
	cfg.Port = proxy.Port()
	cfg.KnownHosts = ""
	cfg.HostFingerprint = s.Fingerprint()
	if tune != nil {
		tune(&cfg)
	}
	log := newLog()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dial(ctx, cfg, log)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	docker, err := c.DockerClient(ctx)
	if err != nil {
		t.Fatalf("DockerClient: %v", err)
	}
	t.Cleanup(func() { docker.Close() })
	return c, docker, proxy, log
}

// checkDaemon calls the Engine API through docker and checks that it reaches the local daemon.
func checkDaemon(t *testing.T, docker *client.Client, wantID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	info, err := docker.Info(ctx, client.InfoOptions{})
	if err != nil {
		t.Fatalf("Info over SSH: %v", err)
	}
	if info.Info.ID != wantID {
		t.Errorf("daemon ID over SSH = %q, want the local daemon's %q", info.Info.ID, wantID)
	}
}

func TestDockerAPIThroughSSH(t *testing.T) {
	t.Parallel()
	id := localDaemonID(t)
	tests := []struct {
		name          string
		opts          sshd.Options
		wantTransport string
	}{
		{"direct-streamlocal", sshd.Options{}, TransportStreamLocal},
		{"dial-stdio fallback", sshd.Options{DisableStreamLocal: true}, TransportDialStdio},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, docker, proxy, log := dockerEnv(t, tc.opts, nil)
			// Over SSH, the client negotiated the version it negotiates on the local socket:
			// the daemon's (1.41 for Docker 20.10, 1.5x for Docker 28 on GitHub's runners),
			// capped by the client's maximum.
			if got, want := docker.ClientVersion(), localAPIVersion(t); got != want {
				t.Errorf("negotiated API version = %s, want %s (negotiated on %s)", got, want, localDockerSocket)
			}
			for i := 0; i < 3; i++ {
				checkDaemon(t, docker, id)
			}
			st := c.Stats()
			if st.Transport != tc.wantTransport || st.Connections != 1 || st.Channels < 1 || proxy.Accepted() != 1 {
				t.Errorf("Stats() = %+v with %d TCP connections, want transport %s over exactly one connection", st, proxy.Accepted(), tc.wantTransport)
			}
			fallbacks := strings.Count(log.String(), "using `docker system dial-stdio`")
			if want := map[bool]int{true: 1, false: 0}[tc.wantTransport == TransportDialStdio]; fallbacks != want {
				t.Errorf("the fallback was announced %d times, want %d:\n%s", fallbacks, want, log)
			}
		})
	}
}

func TestDockerSocketMissing(t *testing.T) {
	t.Parallel()
	localDaemonID(t)
	for _, opts := range []sshd.Options{{}, {DisableStreamLocal: true}} {
		t.Run(fmt.Sprintf("streamlocal disabled %v", opts.DisableStreamLocal), func(t *testing.T) {
			t.Parallel()
			k := sshd.NewKey(t, sshd.Ed25519)
			opts.AuthorizedKeys = []ssh.PublicKey{k.Public}
			s := sshd.Start(t, opts)
			cfg := config(s, k.OpenSSH(t))
			cfg.DockerSocket = "/run/no-such-docker.sock"
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := Dial(ctx, cfg, newLog())
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			_, err = c.DockerClient(ctx)
			// OpenSSH 9.2 refuses a channel to a missing socket exactly as it refuses a disabled
			// forwarding ("connect failed", "open failed"), so both cases try dial-stdio once,
			// whose error names the socket, and report both errors.
			for _, want := range []string{
				"failed to reach the Docker Engine API at /run/no-such-docker.sock",
				"failed to open the Docker socket /run/no-such-docker.sock over SSH: ssh: rejected: connect failed (\"open failed\")",
				"`docker system dial-stdio` could not reach it either",
				"dial unix /run/no-such-docker.sock: connect: no such file or directory",
				"check docker_socket",
			} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("DockerClient: %v, want it to contain %q", err, want)
				}
			}
			// dial-stdio did not work either: nothing says it would be better.
			if got := c.Stats().Transport; got != TransportStreamLocal {
				t.Errorf("Stats().Transport = %s after both transports failed, want %s (unchanged)", got, TransportStreamLocal)
			}
		})
	}
}

// TestDockerSocketComesAndGoes points docker_socket at a path where the daemon's socket appears
// only later (a symlink to the local one), then goes away and comes back, as while dockerd
// restarts. A refusal must never switch the transport for good: only a dial-stdio that reaches
// the daemon does.
func TestDockerSocketComesAndGoes(t *testing.T) {
	t.Parallel()
	id := localDaemonID(t)
	tests := []struct {
		name          string
		opts          sshd.Options
		wantTransport string
	}{
		{"direct-streamlocal", sshd.Options{}, TransportStreamLocal},
		{"streamlocal disabled", sshd.Options{DisableStreamLocal: true}, TransportDialStdio},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := sshd.NewKey(t, sshd.Ed25519)
			tc.opts.AuthorizedKeys = []ssh.PublicKey{k.Public}
			s := sshd.Start(t, tc.opts)
			socket := filepath.Join(t.TempDir(), "docker.sock")
			cfg := config(s, k.OpenSSH(t))
			cfg.DockerSocket = socket
			log := newLog()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c, err := Dial(ctx, cfg, log)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			dial := func() error {
				conn, err := c.DialContext(ctx, "unix", socket)
				if err != nil {
					return err
				}
				return ping(conn)
			}
			appear := func() {
				t.Helper()
				if err := os.Symlink(localDockerSocket, socket); err != nil {
					t.Fatal(err)
				}
			}

			// No daemon there yet: both transports fail, the error says to check docker_socket,
			// and the transport is left as it was.
			err = dial()
			for _, want := range []string{"failed to open the Docker socket " + socket + " over SSH", "(\"open failed\")", "`docker system dial-stdio` could not reach it either", "no such file or directory", "check docker_socket"} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("before the socket exists: DialContext: %v, want it to contain %q", err, want)
				}
			}
			if got := c.Stats().Transport; got != TransportStreamLocal {
				t.Fatalf("Stats().Transport = %s after the socket was missing, want %s", got, TransportStreamLocal)
			}

			// The daemon's socket appears: the transport the server allows is used.
			appear()
			docker, err := c.DockerClient(ctx)
			if err != nil {
				t.Fatalf("DockerClient once the socket exists: %v", err)
			}
			defer docker.Close()
			checkDaemon(t, docker, id)
			if got := c.Stats().Transport; got != tc.wantTransport {
				t.Errorf("Stats().Transport = %s once the socket exists, want %s", got, tc.wantTransport)
			}
			fallbacks := strings.Count(log.String(), "using `docker system dial-stdio`")
			if want := map[bool]int{true: 1, false: 0}[tc.wantTransport == TransportDialStdio]; fallbacks != want {
				t.Errorf("the fallback was announced %d times, want %d:\n%s", fallbacks, want, log)
			}
			if tc.wantTransport != TransportStreamLocal {
				return
			}

			// dockerd restarts: its socket is gone for a while. direct-streamlocal worked, so
			// this is no reason to try dial-stdio.
			if err := os.Remove(socket); err != nil {
				t.Fatal(err)
			}
			err = dial()
			for _, want := range []string{"failed to open the Docker socket " + socket + " over SSH", "it opened earlier on this connection, so dockerd may be restarting", "docker_socket"} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("while the socket is gone: DialContext: %v, want it to contain %q", err, want)
				}
			}
			if err != nil && strings.Contains(err.Error(), "dial-stdio") {
				t.Errorf("while the socket is gone: DialContext tried dial-stdio: %v", err)
			}
			appear()
			if err := dial(); err != nil {
				t.Errorf("once the socket is back: %v", err)
			}
			if st := c.Stats(); st.Transport != TransportStreamLocal || st.Connections != 1 {
				t.Errorf("Stats() = %+v at the end, want %s over the one connection", st, TransportStreamLocal)
			}
		})
	}
}

func TestDockerReconnectsAfterCut(t *testing.T) {
	t.Parallel()
	id := localDaemonID(t)
	for _, opts := range []sshd.Options{{}, {DisableStreamLocal: true}} {
		t.Run(fmt.Sprintf("streamlocal disabled %v", opts.DisableStreamLocal), func(t *testing.T) {
			t.Parallel()
			c, docker, proxy, log := dockerEnv(t, opts, nil)
			checkDaemon(t, docker, id)
			for cut := 1; cut <= 2; cut++ {
				if n := proxy.Cut(); n != 1 {
					t.Fatalf("cut %d closed %d connections, want 1", cut, n)
				}
				checkDaemon(t, docker, id)
				st := c.Stats()
				if st.Reconnects != int64(cut) || st.Connections != int64(cut+1) || proxy.Accepted() != cut+1 {
					t.Errorf("after cut %d: Stats() = %+v, %d TCP connections; want %d reconnects", cut, st, proxy.Accepted(), cut)
				}
			}
			// The cut shows either as the server closing the connection or as a channel that fails
			// to open on it, whichever the client notices first: both must say it reconnects.
			for _, want := range []string{"root@127.0.0.1:", "was lost (", "); reconnecting", "reconnected to root@127.0.0.1", "(reconnect 2)"} {
				if !strings.Contains(log.String(), want) {
					t.Errorf("log lacks %q:\n%s", want, log)
				}
			}
		})
	}
}

func TestKeepaliveDetectsASilentNetwork(t *testing.T) {
	t.Parallel()
	id := localDaemonID(t)
	// The link must die of missed keepalives here, so they are few; 250ms apart, a loaded machine
	// does not miss two before the stall.
	c, docker, proxy, log := dockerEnv(t, sshd.Options{}, func(cfg *Config) {
		cfg.KeepaliveInterval = 250 * time.Millisecond
		cfg.KeepaliveMaxMissed = 2
	})
	checkDaemon(t, docker, id)
	// The link stays open but carries nothing: only keepalives can tell.
	if n := proxy.Stall(); n != 1 {
		t.Fatalf("stalled %d connections, want 1", n)
	}
	if !waitFor(10*time.Second, func() bool { return !connAlive(c) }) {
		t.Fatalf("the connection still looks alive 10s after the network went silent:\n%s", log)
	}
	checkDaemon(t, docker, id)
	// How many reconnects it took is not the point (a loaded machine may lose a keepalive of the
	// new link too): the API works again over a new connection.
	if st := c.Stats(); st.Reconnects < 1 || st.Connections < 2 {
		t.Errorf("Stats() = %+v, want at least 1 reconnect", st)
	}
	if want := "was lost (no reply to keepalives for 500ms (keepalive_interval 250ms, keepalive_max_missed 2)); reconnecting"; !strings.Contains(log.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, log)
	}
}

// ping sends a raw HTTP ping on conn and reports whether the daemon answered OK.
func ping(conn net.Conn) error {
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"); err != nil {
		return err
	}
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(status, "HTTP/1.1 200") {
		return fmt.Errorf("status %q", status)
	}
	return nil
}

func TestConcurrentDialsShareOneConnection(t *testing.T) {
	t.Parallel()
	localDaemonID(t)
	for _, opts := range []sshd.Options{{}, {DisableStreamLocal: true}} {
		t.Run(fmt.Sprintf("streamlocal disabled %v", opts.DisableStreamLocal), func(t *testing.T) {
			t.Parallel()
			c, _, proxy, _ := dockerEnv(t, opts, nil)
			before := c.Stats().Channels
			const n = 24 // more than OpenSSH's MaxSessions (10): dial-stdio must queue, not fail
			round := func() {
				var wg sync.WaitGroup
				errs := make(chan error, n)
				for i := 0; i < n; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
						defer cancel()
						conn, err := c.DialContext(ctx, "tcp", "ignored:2375")
						if err == nil {
							err = ping(conn)
						}
						errs <- err
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Errorf("concurrent dial: %v", err)
					}
				}
			}
			round()
			// Cut the link: the next burst of dials shares a single reconnect.
			proxy.Cut()
			waitFor(5*time.Second, func() bool { return !connAlive(c) })
			round()
			st := c.Stats()
			if st.Connections != 2 || st.Reconnects != 1 || st.Channels-before != 2*n || proxy.Accepted() != 2 {
				t.Errorf("Stats() = %+v, %d TCP connections; want %d channels over 2 connections (1 reconnect)", st, proxy.Accepted(), 2*n)
			}
		})
	}
}

func TestJumpHost(t *testing.T) {
	t.Parallel()
	id := localDaemonID(t)
	k := sshd.NewKey(t, sshd.Ed25519)
	jumpKey := sshd.NewKey(t, sshd.ECDSA)
	target := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{k.Public}})
	jump := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{jumpKey.Public}})
	noForwarding := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{jumpKey.Public}, DisableTCPForwarding: true})

	jumpVia := func(s *sshd.Server, proxy *tcpproxy.Proxy) *Endpoint {
		return &Endpoint{Host: s.Host, Port: proxy.Port(), Key: jumpKey.OpenSSH(t), HostFingerprint: s.Fingerprint()}
	}

	t.Run("connects through the jump host and survives its link being cut", func(t *testing.T) {
		t.Parallel()
		proxy := tcpproxy.Start(t, jump.Addr())
		cfg := config(target, k.OpenSSH(t))
		cfg.Jump = jumpVia(jump, proxy)
		log := newLog()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := Dial(ctx, cfg, log)
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		defer c.Close()
		docker, err := c.DockerClient(ctx)
		if err != nil {
			t.Fatalf("DockerClient: %v", err)
		}
		defer docker.Close()
		checkDaemon(t, docker, id)
		// The target is reached only through the jump host: cutting the jump link kills it.
		proxy.Cut()
		checkDaemon(t, docker, id)
		if st := c.Stats(); st.Reconnects != 1 || proxy.Accepted() != 2 {
			t.Errorf("Stats() = %+v, %d connections to the jump host; want 1 reconnect through it", st, proxy.Accepted())
		}
		for _, want := range []string{
			"host key of [127.0.0.1]:" + fmt.Sprint(proxy.Port()) + " verified by jump_host_fingerprint",
			"host key of [127.0.0.1]:" + fmt.Sprint(target.Port) + " verified by known_hosts",
			"connected to root@" + target.Addr() + " via root@127.0.0.1:" + fmt.Sprint(proxy.Port()),
		} {
			if !strings.Contains(log.String(), want) {
				t.Errorf("log lacks %q:\n%s", want, log)
			}
		}
	})

	t.Run("unknown jump host key", func(t *testing.T) {
		t.Parallel()
		proxy := tcpproxy.Start(t, jump.Addr())
		cfg := config(target, k.OpenSSH(t))
		cfg.Jump = jumpVia(jump, proxy)
		cfg.Jump.HostFingerprint = target.Fingerprint() // the wrong server's key
		cfg.ConnectRetries = 3
		_, err := Dial(context.Background(), cfg, newLog())
		var hk *HostKeyError
		if !errors.As(err, &hk) || !hk.Mismatch() || hk.Fingerprint != jump.Fingerprint() ||
			!strings.Contains(err.Error(), "`jump_host_fingerprint: "+jump.Fingerprint()+"`") {
			t.Errorf("Dial: %v, want a mismatch of the jump host's key naming jump_host_fingerprint", err)
		}
		if proxy.Accepted() != 1 {
			t.Errorf("%d connections to the jump host, want 1 (no retry)", proxy.Accepted())
		}
	})

	t.Run("unknown target key behind the jump host", func(t *testing.T) {
		t.Parallel()
		proxy := tcpproxy.Start(t, jump.Addr())
		cfg := config(target, k.OpenSSH(t))
		cfg.KnownHosts = jump.KnownHostsLine() // not the target's
		cfg.Jump = jumpVia(jump, proxy)
		_, err := Dial(context.Background(), cfg, newLog())
		var hk *HostKeyError
		if !errors.As(err, &hk) || hk.Fingerprint != target.Fingerprint() || !strings.Contains(err.Error(), "`host_fingerprint: "+target.Fingerprint()+"`") {
			t.Errorf("Dial: %v, want the target's key refused", err)
		}
	})

	t.Run("jump host without TCP forwarding", func(t *testing.T) {
		t.Parallel()
		proxy := tcpproxy.Start(t, noForwarding.Addr())
		cfg := config(target, k.OpenSSH(t))
		cfg.Jump = jumpVia(noForwarding, proxy)
		cfg.ConnectRetries = 3
		_, err := Dial(context.Background(), cfg, newLog())
		if err == nil || !strings.Contains(err.Error(), "refused to forward to "+target.Addr()) || !strings.Contains(err.Error(), "AllowTcpForwarding yes") {
			t.Errorf("Dial: %v, want the forwarding refusal explained", err)
		}
		if proxy.Accepted() != 1 {
			t.Errorf("%d connections to the jump host, want 1 (a refusal is not retried)", proxy.Accepted())
		}
	})
}
