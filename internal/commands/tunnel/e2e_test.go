package tunnel

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/twittix/infra/internal/actiontest"
	"github.com/twittix/infra/internal/testenv/dockertest"
	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/logging"
	"github.com/twittix/infra/pkg/swarm"
)

// laptop is a developer's machine: a home with ~/.ssh/config naming the sshd as "twittix-1",
// the key in ~/.ssh/id_ed25519 and the host's key in ~/.ssh/known_hosts.
type laptop struct {
	t      *testing.T
	server *sshd.Server
	home   string
	ws     string
}

func newLaptop(t *testing.T, knownHosts string) *laptop {
	t.Helper()
	k := sshd.NewKey(t, sshd.Ed25519)
	s := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{k.Public}})
	if knownHosts == "" {
		knownHosts = s.KnownHostsLine()
	}
	home := t.TempDir()
	files := map[string]string{
		".ssh/config":      fmt.Sprintf("Host twittix-1\n  HostName 127.0.0.1\n  Port %d\n  User root\n", s.Port),
		".ssh/id_ed25519":  k.OpenSSH(t),
		".ssh/known_hosts": knownHosts + "\n",
	}
	for name, content := range files {
		p := filepath.Join(home, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return &laptop{t: t, server: s, home: home, ws: t.TempDir()}
}

// run runs `twittix-infra tunnel args...` as on the laptop (no GitHub environment).
func (l *laptop) run(ctx context.Context, args ...string) (int, string) {
	var log actiontest.SyncBuffer
	code := l.start(ctx, &log, args...)
	return code, log.String()
}

func (l *laptop) start(ctx context.Context, log *actiontest.SyncBuffer, args ...string) int {
	env := actiontest.NewBareEnv(map[string]string{"HOME": l.home, "USER": "nobody", "GITHUB_WORKSPACE": l.ws})
	return action.Main(ctx, append([]string{"tunnel"}, args...), []action.Command{Command},
		action.WithGetenv(env.Getenv), action.WithWriter(log))
}

// httpServer serves "hello from PORT" on a port of 127.0.0.1 and returns the port.
func httpServer(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "hello from %d", port)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return port
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestForwardWithSSHConfigDefaultsAndCheckOnly(t *testing.T) {
	t.Parallel()
	l := newLaptop(t, "")
	web := httpServer(t)
	code, log := l.run(testContext(t), "-L", "0:localhost:"+strconv.Itoa(web), "--check-only")
	if code != 0 {
		t.Fatalf("exit code %d; log:\n%s", code, log)
	}
	for _, want := range []string{"connected to root@" + l.server.Addr(), "localhost:" + strconv.Itoa(web), "HTTP 200 OK"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %q:\n%s", want, log)
		}
	}
}

func TestCheckOnlyFailsOnAClosedPort(t *testing.T) {
	t.Parallel()
	l := newLaptop(t, "")
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	code, log := l.run(testContext(t), "-L", "0:127.0.0.1:"+strconv.Itoa(closed), "--check-only")
	if code == 0 || !strings.Contains(log, "1 forwarded port(s) did not answer") || !strings.Contains(log, "FAILED") {
		t.Errorf("exit code %d; want a failure naming the port that did not answer; log:\n%s", code, log)
	}
}

func TestWrongHostKeyIsRefusedWithTheFingerprint(t *testing.T) {
	t.Parallel()
	other := sshd.NewKey(t, sshd.Ed25519)
	l := newLaptop(t, "")
	// known_hosts pins another key for the server's address.
	line := strings.Fields(l.server.KnownHostsLine())[0] + " " + strings.TrimSpace(other.AuthorizedKey())
	if err := os.WriteFile(filepath.Join(l.home, ".ssh/known_hosts"), []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	web := httpServer(t)
	code, log := l.run(testContext(t), "-L", "0:localhost:"+strconv.Itoa(web))
	if code == 0 {
		t.Fatalf("the tunnel opened to a server whose host key is not the pinned one; log:\n%s", log)
	}
	for _, want := range []string{"host key verification failed", l.server.Fingerprint(), "man-in-the-middle"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "Forwarding over") {
		t.Errorf("ports were forwarded despite the wrong host key:\n%s", log)
	}
}

func TestBadFlagsAreReportedAtOnce(t *testing.T) {
	t.Parallel()
	l := newLaptop(t, "")
	code, log := l.run(testContext(t), "-L", "8080:80", "-L", "x:localhost:80", "--env-files", "missing.env")
	if code != action.ExitUsage {
		t.Errorf("exit code %d, want %d", code, action.ExitUsage)
	}
	for _, want := range []string{`"8080:80" is not a forward`, `local port "x"`, "env_files", "compose_files: is only used with stack"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %q:\n%s", want, log)
		}
	}
	code, log = l.run(testContext(t))
	if code != action.ExitUsage || !strings.Contains(log, "stack: or local_forward is required") {
		t.Errorf("no forward: exit code %d, log:\n%s", code, log)
	}
}

// TestStackFromComposeFiles reads the published ports from the compose files, interpolated as
// the deploy does. The "host" is this machine, where the service listens on its published port:
// that local port is taken, so the tunnel takes the next free one and says so.
func TestStackFromComposeFiles(t *testing.T) {
	t.Parallel()
	l := newLaptop(t, "")
	web := httpServer(t)
	compose := "services:\n  web:\n    image: example/web:1\n    ports:\n      - \"${WEB_PORT}:8080\"\n  worker:\n    image: example/worker:1\n"
	if err := os.WriteFile(filepath.Join(l.ws, "docker-compose.yml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	code, log := l.run(testContext(t), "--stack", "twittix", "--compose-files", "docker-compose.yml",
		"--env", "WEB_PORT="+strconv.Itoa(web), "--check-only")
	if code != 0 {
		t.Fatalf("exit code %d; log:\n%s", code, log)
	}
	for _, want := range []string{"SERVICE", "web", "127.0.0.1:" + strconv.Itoa(web), fmt.Sprintf("(local port %d is taken)", web), "HTTP 200 OK"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "worker") {
		t.Errorf("a service without published ports is in the table:\n%s", log)
	}
}

// TestStackFromTheSwarm deploys a stack with a published port to the real swarm, then tunnels to
// it by name: the ports come from the Engine API over the tunnel's SSH connection.
func TestStackFromTheSwarm(t *testing.T) {
	t.Parallel()
	docker := dockertest.RequireSwarm(t)
	dockertest.RequireImages(t, docker, "v1")
	stack := dockertest.NewStack(t, docker, "tun")
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	l := newLaptop(t, "")
	compose := fmt.Sprintf("services:\n  app:\n    image: %s\n    ports:\n      - {target: 8080, published: %d, mode: host}\n    deploy:\n      endpoint_mode: dnsrr\n", dockertest.Image("v1"), port)
	file := filepath.Join(l.ws, "docker-compose.yml")
	if err := os.WriteFile(file, []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := swarm.DefaultOptions(stack, file)
	opts.Timeout = 2 * time.Minute
	if _, err := swarm.Deploy(testContext(t), docker, logging.Discard, opts); err != nil {
		t.Fatalf("deploying the stack: %v", err)
	}
	code, log := l.run(testContext(t), "--stack", stack, "--check-only")
	if code != 0 {
		t.Fatalf("exit code %d; log:\n%s", code, log)
	}
	for _, want := range []string{"from the swarm", "app", "127.0.0.1:" + strconv.Itoa(port), "HTTP 200 OK"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %q:\n%s", want, log)
		}
	}
	code, log = l.run(testContext(t), "--stack", stack+"-none")
	if code == 0 || !strings.Contains(log, "no service in stack "+stack+"-none") {
		t.Errorf("an unknown stack: exit code %d, log:\n%s", code, log)
	}
}

func TestInterruptClosesTheTunnel(t *testing.T) {
	t.Parallel()
	l := newLaptop(t, "")
	web := httpServer(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	local := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithCancel(testContext(t))
	var log actiontest.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- l.start(ctx, &log, "-L", fmt.Sprintf("%d:localhost:%d", local, web))
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(log.String(), "Press Ctrl-C") {
		if time.Now().After(deadline) {
			t.Fatalf("the tunnel did not start; log:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A connection in use when Ctrl-C comes.
	conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(local))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", local))
	if err != nil {
		t.Fatalf("a request through the tunnel: %v", err)
	}
	resp.Body.Close()

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after an interrupt, want 0: Ctrl-C is how a tunnel ends; log:\n%s", code, log.String())
		}
	case <-time.After(2 * time.Second):
		t.Fatalf("the command did not return within 2s of the interrupt; log:\n%s", log.String())
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Errorf("a forwarded connection is still open after the interrupt: %v", err)
	}
	if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(local)); err == nil {
		c.Close()
		t.Errorf("the local port still accepts connections after the interrupt")
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
