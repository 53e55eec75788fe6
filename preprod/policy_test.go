// Package preprod_test checks the twittix-1 host's SSH policy (sshd_config.d/twittix.conf) with
// the real OpenSSH sshd and real local accounts: the CI's deploy account can deploy and nothing
// else, a developer can tunnel and nothing else.
//
// The accounts are real (useradd), because the policy is about them: sshd's Match User and Match
// Group match the real account, and a session runs as that account, whose docker group
// membership alone decides whether it reaches the Docker socket. Match blocks for the current
// user (root) could not show that a developer cannot reach the socket: root always can. So each
// test creates its own deploy account (in the docker group) and developer account (in a devs
// group of its own), with unique names so that parallel runs never share one, substitutes those
// names for deploy and devs in the drop-in (nothing else of it changes), and deletes the accounts
// when it ends.
package preprod_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/crypto/ssh"

	deployswarm "github.com/twittix/infra/actions/deploy-swarm"
	"github.com/twittix/infra/internal/actiontest"
	tunnelcmd "github.com/twittix/infra/internal/commands/tunnel"
	"github.com/twittix/infra/internal/testenv/dockertest"
	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/internal/testenv/tree"
	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/sshconn"
)

const dropInPath = "sshd_config.d/twittix.conf"

// host is an sshd configured as twittix-1, with its deploy and developer accounts.
type host struct {
	server            *sshd.Server
	deploy, dev       string
	deployKey, devKey sshd.Key
}

func newHost(t *testing.T) *host {
	t.Helper()
	dropIn, err := os.ReadFile(dropInPath)
	if err != nil {
		t.Fatal(err)
	}
	h := &host{deploy: sshd.UniqueName("twdep"), dev: sshd.UniqueName("twdev"),
		deployKey: sshd.NewKey(t, sshd.Ed25519), devKey: sshd.NewKey(t, sshd.Ed25519)}
	devs := sshd.UniqueName("twdevs")
	sshd.AddGroup(t, devs)
	sshd.AddUser(t, h.deploy, "docker")
	sshd.AddUser(t, h.dev, devs)
	text := string(dropIn)
	for old, repl := range map[string]string{"Match User deploy\n": "Match User " + h.deploy + "\n", "Match Group devs\n": "Match Group " + devs + "\n"} {
		if !strings.Contains(text, old) {
			t.Fatalf("%s has no %q line", dropInPath, strings.TrimSpace(old))
		}
		text = strings.Replace(text, old, repl, 1)
	}
	h.server = sshd.Start(t, sshd.Options{
		DropIns:  []string{text},
		UserKeys: map[string][]ssh.PublicKey{h.deploy: {h.deployKey.Public}, h.dev: {h.devKey.Public}},
	})
	return h
}

// login opens an SSH connection as user with key.
func (h *host) login(t *testing.T, user string, key sshd.Key) *ssh.Client {
	t.Helper()
	c, err := ssh.Dial("tcp", h.server.Addr(), &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{ssh.PublicKeys(key.Signer)}, HostKeyCallback: ssh.FixedHostKey(h.server.HostKey),
	})
	if err != nil {
		t.Fatalf("login as %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// run runs command in a session and returns its stdout and stderr.
func run(t *testing.T, c *ssh.Client, command string) (string, string) {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatalf("session: %v", err)
	}
	defer sess.Close()
	var stdout, stderr strings.Builder
	sess.Stdout, sess.Stderr = &stdout, &stderr
	done := make(chan struct{})
	go func() { _ = sess.Run(command); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		sess.Close()
		<-done
	}
	return stdout.String(), stderr.String()
}

// dialStdioPing runs the command of pkg/sshconn's fallback in a session and sends an HTTP ping on
// it; it returns the first line of the answer.
func dialStdioPing(t *testing.T, c *ssh.Client) string {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatalf("session: %v", err)
	}
	defer sess.Close()
	in, _ := sess.StdinPipe()
	out, _ := sess.StdoutPipe()
	if err := sess.Start("docker -H 'unix:///var/run/docker.sock' system dial-stdio"); err != nil {
		t.Fatalf("start: %v", err)
	}
	return ping(t, in, out)
}

// ping sends an HTTP ping to the Docker daemon on in and returns the first line of its answer on
// out, or "" if none comes within 20 s.
func ping(t *testing.T, in io.Writer, out io.Reader) string {
	t.Helper()
	_, _ = io.WriteString(in, "GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- l
	}()
	select {
	case l := <-line:
		return l
	case <-time.After(20 * time.Second):
		return ""
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestSSHDAcceptsTheDropIn(t *testing.T) {
	t.Parallel()
	dropIn, err := os.ReadFile(dropInPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := sshd.CheckConfig(t, string(dropIn)); err != nil {
		t.Fatalf("%s: %v", dropInPath, err)
	}
}

func TestDeployAccountDeploysAndDoesNothingElse(t *testing.T) {
	t.Parallel()
	docker := dockertest.RequireSwarm(t)
	dockertest.RequireImages(t, docker, "v1")
	h := newHost(t)
	stack := dockertest.NewStack(t, docker, "pre")

	compose := fmt.Sprintf("services:\n  app:\n    image: %s\n    deploy:\n      endpoint_mode: dnsrr\n", dockertest.Image("v1"))
	ws := tree.Write(t, tree.Files(map[string]string{"docker-compose.yml": compose}))
	env := actiontest.NewEnv(t, map[string]string{"GITHUB_WORKSPACE": ws})
	env.SetInputs(map[string]string{
		"host": h.server.Host, "port": strconv.Itoa(h.server.Port), "user": h.deploy,
		"ssh_key": h.deployKey.OpenSSH(t), "known_hosts": h.server.KnownHostsLine(),
		"stack_name": stack, "timeout": "2m",
	})
	var log actiontest.SyncBuffer
	code := action.Main(testContext(t), []string{"deploy-swarm"}, []action.Command{deployswarm.Command},
		action.WithGetenv(env.Getenv), action.WithWriter(&log))
	if code != 0 {
		t.Fatalf("deploy-swarm as %s: exit code %d; log:\n%s", h.deploy, code, log.String())
	}

	// The deploy took the fast path: every channel to Docker was a direct-streamlocal forward
	// (the action says which transport it used), and sshd started no session, which
	// `docker system dial-stdio` would have needed. With `AllowTcpForwarding no` for deploy,
	// OpenSSH 9.2 refuses the socket forward too and both fail.
	if want := "Docker API channel(s) over " + sshconn.TransportStreamLocal; !strings.Contains(log.String(), want) {
		t.Errorf("deploy-swarm as %s did not reach Docker through the socket forward (no %q in its log): sshd refused it and the action fell back to dial-stdio; log:\n%s", h.deploy, want, log.String())
	}
	if logs := h.server.Logs(); strings.Contains(logs, "Starting session") {
		t.Errorf("sshd started a session while deploy-swarm deployed as %s: the action fell back to dial-stdio; sshd log:\n%s", h.deploy, logs)
	}

	c := h.login(t, h.deploy, h.deployKey)
	t.Run("the socket forward reaches the daemon", func(t *testing.T) {
		conn, err := c.Dial("unix", sshconn.DefaultDockerSocket)
		if err != nil {
			t.Fatalf("forward to %s: %v", sshconn.DefaultDockerSocket, err)
		}
		defer conn.Close()
		if got := ping(t, conn, conn); !strings.HasPrefix(got, "HTTP/1.1 200") {
			t.Errorf("ping through the forward to %s = %q, want HTTP/1.1 200", sshconn.DefaultDockerSocket, got)
		}
	})
	t.Run("the dial-stdio fallback reaches the daemon", func(t *testing.T) {
		if got := dialStdioPing(t, c); !strings.HasPrefix(got, "HTTP/1.1 200") {
			t.Errorf("ping through `docker system dial-stdio` = %q, want HTTP/1.1 200", got)
		}
	})
	t.Run("no shell", func(t *testing.T) {
		if out, _ := run(t, c, "id"); strings.Contains(out, "uid=") {
			t.Errorf("the deploy account ran a command: %q", out)
		}
	})
	t.Run("no other socket", func(t *testing.T) {
		socket := openSocket(t)
		canOpen(t, h.deploy, socket)
		if conn, err := c.Dial("unix", socket); err == nil {
			conn.Close()
			t.Errorf("the deploy account forwarded to the socket %s, which PermitOpen does not list", socket)
		}
	})
	web := strconv.Itoa(httpServer(t))
	for _, target := range []string{"127.0.0.1:" + web, "localhost:" + web, "[::1]:" + web} {
		t.Run("no TCP forward to "+target, func(t *testing.T) {
			if conn, err := c.Dial("tcp", target); err == nil {
				conn.Close()
				t.Error("the deploy account opened a TCP forward")
			} else if !strings.Contains(err.Error(), "prohibited") {
				t.Errorf("TCP forward error = %v, want administratively prohibited", err)
			}
		})
	}
	// PermitOpen's one entry, the socket's path, is also a host name a TCP forward may ask for:
	// sshd lets it through and fails to resolve it.
	t.Run("no TCP forward to the host PermitOpen names", func(t *testing.T) {
		target := net.JoinHostPort(sshconn.DefaultDockerSocket, web)
		if conn, err := c.Dial("tcp", target); err == nil {
			conn.Close()
			t.Errorf("the deploy account opened a TCP forward to %s", target)
		}
	})
	t.Run("no remote forward", func(t *testing.T) {
		if ln, err := c.Listen("tcp", "127.0.0.1:0"); err == nil {
			ln.Close()
			t.Error("the deploy account opened a remote TCP forward")
		}
		if ln, err := c.ListenUnix(filepath.Join(t.TempDir(), "remote.sock")); err == nil {
			ln.Close()
			t.Error("the deploy account opened a remote socket forward")
		}
	})
}

func TestDeveloperTunnelsAndDoesNothingElse(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	web := httpServer(t)
	home := tree.Write(t, fstest.MapFS{"id_ed25519": {Data: []byte(h.devKey.OpenSSH(t)), Mode: 0o600}})
	tunnel := func(args ...string) (int, string) {
		env := actiontest.NewBareEnv(map[string]string{"HOME": home, "USER": h.dev, "GITHUB_WORKSPACE": t.TempDir()})
		var log actiontest.SyncBuffer
		base := []string{"tunnel", "--host", h.server.Host, "--port", strconv.Itoa(h.server.Port), "--user", h.dev,
			"--ssh-key", h.devKey.OpenSSH(t), "--known-hosts", h.server.KnownHostsLine(), "--ssh-config", "none"}
		code := action.Main(testContext(t), append(base, args...), []action.Command{tunnelcmd.Command},
			action.WithGetenv(env.Getenv), action.WithWriter(&log))
		return code, log.String()
	}

	t.Run("tunnel forwards to the host's loopback", func(t *testing.T) {
		code, log := tunnel("-L", "0:localhost:"+strconv.Itoa(web), "-L", "0:127.0.0.1:"+strconv.Itoa(web), "--check-only")
		if code != 0 || strings.Count(log, "HTTP 200 OK") != 2 {
			t.Errorf("exit code %d, want 0 and two HTTP 200 checks; log:\n%s", code, log)
		}
	})
	t.Run("tunnel --stack without compose files says the swarm is out of reach", func(t *testing.T) {
		code, log := tunnel("--stack", "twittix")
		if code == 0 || !strings.Contains(log, "--compose-files") {
			t.Errorf("exit code %d, want a failure pointing to --compose-files; log:\n%s", code, log)
		}
	})

	c := h.login(t, h.dev, h.devKey)
	t.Run("no Docker socket", func(t *testing.T) {
		// The developer account may not open docker.sock anyway (it is not in the docker group),
		// so the policy is shown on a socket that account may open: sshd itself must refuse to
		// forward to it.
		socket := openSocket(t)
		canOpen(t, h.dev, socket)
		conn, err := c.Dial("unix", socket)
		if err == nil {
			conn.Close()
			t.Fatalf("a developer account forwarded to the socket %s: the drop-in must set AllowStreamLocalForwarding no for devs", socket)
		}
		// OpenSSH 9.2 answers a forbidden direct-streamlocal channel with "open failed", as a
		// socket nobody listens on, and PermitOpen (no path matches its host:port entries) would
		// refuse it too: only its log tells AllowStreamLocalForwarding no's refusal apart.
		if !waitForLog(h.server, "refused streamlocal port forward") {
			t.Errorf("the forward failed (%v), but not because of AllowStreamLocalForwarding no; sshd log:\n%s", err, h.server.Logs())
		}
		if got := dialStdioPing(t, c); strings.HasPrefix(got, "HTTP/") {
			t.Errorf("a developer account reached the daemon through dial-stdio: %q", got)
		}
	})
	t.Run("no shell", func(t *testing.T) {
		out, errOut := run(t, c, "id")
		if strings.Contains(out, "uid=") {
			t.Errorf("a developer account ran a command: %q", out)
		}
		if !strings.Contains(errOut, "only forwards ports") {
			t.Errorf("the refusal does not explain itself: stderr %q", errOut)
		}
	})
	t.Run("no forward beyond the loopback", func(t *testing.T) {
		if conn, err := c.Dial("tcp", "127.0.0.2:"+strconv.Itoa(web)); err == nil {
			conn.Close()
			t.Error("a developer account forwarded to 127.0.0.2, which PermitOpen does not list")
		}
	})
}

// openSocket listens on a unix socket that every account may open (mode 0666, in a directory
// every account may traverse), and returns its path.
func openSocket(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "twsock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "open.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return path
}

// canOpen fails the test unless user may open the unix socket at path: write permission on it,
// and search permission on every directory above it (access(2), run as user).
func canOpen(t *testing.T, user, path string) {
	t.Helper()
	u, err := osuser.Lookup(user)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	cmd := exec.Command("test", "-w", path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	if err := cmd.Run(); err != nil {
		t.Fatalf("the account %s may not open %s (test -w: %v): the test shows nothing", user, path, err)
	}
}

// waitForLog reports whether the sshd's log says want within a few seconds: sshd logs a refusal
// around the time it sends it.
func waitForLog(s *sshd.Server, want string) bool {
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.Logs(), want) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// httpServer serves 200 OK on a port of all interfaces and returns the port.
func httpServer(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}
