package sshd

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Binary is the OpenSSH server started by Start. It must be an absolute path: sshd re-executes
// itself for every connection.
const Binary = "/usr/sbin/sshd"

// Options configures one sshd.
type Options struct {
	// AuthorizedKeys are the public keys allowed to log in (as any user, root included).
	AuthorizedKeys []ssh.PublicKey
	// DisableStreamLocal sets AllowStreamLocalForwarding no, so that direct-streamlocal channels
	// (unix socket forwarding) are refused.
	DisableStreamLocal bool
	// DisableTCPForwarding sets AllowTcpForwarding no, so that the server cannot be a jump host.
	DisableTCPForwarding bool
	// Config holds extra sshd_config lines, appended as is.
	Config []string
}

// Server is a running sshd.
type Server struct {
	// Host is the address sshd listens on: always 127.0.0.1.
	Host string
	// Port is the random free port sshd listens on.
	Port int
	// HostKey is the server's Ed25519 host key, generated for this server.
	HostKey ssh.PublicKey

	logs *syncBuffer
}

// Addr returns host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// KnownHostsLine returns the known_hosts line for the server, as `ssh-keyscan -p PORT 127.0.0.1`
// prints it: "[127.0.0.1]:PORT ssh-ed25519 AAAA...".
func (s *Server) KnownHostsLine() string {
	return knownhosts.Line([]string{knownhosts.Normalize(s.Addr())}, s.HostKey)
}

// Fingerprint returns the SHA256 fingerprint of the server's host key ("SHA256:...").
func (s *Server) Fingerprint() string { return ssh.FingerprintSHA256(s.HostKey) }

// Logs returns what sshd logged so far (LogLevel VERBOSE, on stderr).
func (s *Server) Logs() string { return s.logs.String() }

// Start starts an sshd configured by opts on a random free port of 127.0.0.1, waits until it
// answers with its SSH banner, and stops it (and the sessions it forked) when the test ends.
// sshd's log is printed when the test fails.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	checkPrerequisites(t)
	dir := t.TempDir()

	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("sshd: generating the host key: %v", err)
	}
	block, err := ssh.MarshalPrivateKey(hostPriv, "test host key")
	if err != nil {
		t.Fatalf("sshd: encoding the host key: %v", err)
	}
	hostKeyPath := filepath.Join(dir, "ssh_host_ed25519_key")
	writeFile(t, hostKeyPath, pem.EncodeToMemory(block))
	signer, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatalf("sshd: host key signer: %v", err)
	}

	var authorized bytes.Buffer
	for _, k := range opts.AuthorizedKeys {
		authorized.Write(ssh.MarshalAuthorizedKey(k))
	}
	authorizedPath := filepath.Join(dir, "authorized_keys")
	writeFile(t, authorizedPath, authorized.Bytes())

	// Picking a free port and handing it to sshd is racy with other processes: retry a few times.
	var lastLogs string
	for try := 0; try < 5; try++ {
		port := freePort(t)
		configPath := filepath.Join(dir, "sshd_config")
		writeFile(t, configPath, []byte(config(port, hostKeyPath, authorizedPath, opts)))
		s := &Server{Host: "127.0.0.1", Port: port, HostKey: signer.PublicKey(), logs: &syncBuffer{}}
		if s.run(t, configPath) {
			return s
		}
		lastLogs = s.Logs()
		if !strings.Contains(lastLogs, "Address already in use") {
			break
		}
	}
	t.Fatalf("sshd did not start; its log:\n%s", lastLogs)
	return nil
}

func checkPrerequisites(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		t.Fatalf("these tests need a real OpenSSH server at %s: install it with `apt-get install -y openssh-server` (%v)", Binary, err)
	}
	if os.Geteuid() != 0 {
		t.Fatalf("these tests start %s and log in as root: run them as root (uid is %d)", Binary, os.Geteuid())
	}
	// sshd refuses to start without its privilege separation directory, which Debian creates only
	// when the ssh service starts.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatalf("sshd needs /run/sshd: create it with `mkdir -p /run/sshd` (%v)", err)
	}
}

func config(port int, hostKey, authorized string, opts Options) string {
	yesNo := func(disabled bool) string {
		if disabled {
			return "no"
		}
		return "yes"
	}
	lines := []string{
		fmt.Sprintf("ListenAddress 127.0.0.1:%d", port),
		"HostKey " + hostKey,
		"AuthorizedKeysFile " + authorized,
		"PidFile none",
		"UsePAM no",
		"StrictModes no",
		"PermitRootLogin prohibit-password",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"AllowStreamLocalForwarding " + yesNo(opts.DisableStreamLocal),
		"AllowTcpForwarding " + yesNo(opts.DisableTCPForwarding),
		"PrintMotd no",
		"LogLevel VERBOSE",
	}
	lines = append(lines, opts.Config...)
	return strings.Join(lines, "\n") + "\n"
}

// run starts sshd and reports whether it answered with its banner.
func (s *Server) run(t testing.TB, configPath string) bool {
	t.Helper()
	cmd := exec.Command(Binary, "-D", "-e", "-f", configPath)
	cmd.Stdout = s.logs
	cmd.Stderr = s.logs
	// Its own process group, so that Cleanup also stops the per-connection sshd processes.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", Binary, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if banner(s.Addr()) {
			t.Cleanup(func() {
				stop()
				if t.Failed() {
					t.Logf("sshd %s log:\n%s", s.Addr(), s.Logs())
				}
			})
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	t.Fatalf("sshd on %s did not answer within 10s; its log:\n%s", s.Addr(), s.Logs())
	return false
}

// banner reports whether an SSH server answers on addr.
func banner(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "SSH-2.0-")
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("writing %s: %v", path, err)
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a process and reads of a test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
