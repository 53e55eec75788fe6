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

	dir  string
	logs *syncBuffer
	stop func()
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

// Start starts an sshd configured by opts (see New) and stops it when the test ends; sshd's log is
// printed when the test fails. Any problem fails the test with a message saying how to fix it.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if t.Failed() {
			t.Logf("sshd %s log:\n%s", s.Addr(), s.Logs())
		}
	})
	return s
}

// New starts an sshd configured by opts on a random free port of 127.0.0.1 and waits until it
// answers with its SSH banner. Close stops it. Programs (benchmarks, demos) use it; tests use
// Start.
func New(opts Options) (*Server, error) {
	if err := checkPrerequisites(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "sshd-")
	if err != nil {
		return nil, err
	}
	s, err := start(dir, opts)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// Close stops sshd and the per-connection processes it forked, and removes its files.
func (s *Server) Close() {
	s.stop()
	os.RemoveAll(s.dir)
}

func start(dir string, opts Options) (*Server, error) {
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("sshd: generating the host key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(hostPriv, "test host key")
	if err != nil {
		return nil, fmt.Errorf("sshd: encoding the host key: %w", err)
	}
	hostKeyPath := filepath.Join(dir, "ssh_host_ed25519_key")
	signer, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		return nil, fmt.Errorf("sshd: host key signer: %w", err)
	}
	var authorized bytes.Buffer
	for _, k := range opts.AuthorizedKeys {
		authorized.Write(ssh.MarshalAuthorizedKey(k))
	}
	authorizedPath := filepath.Join(dir, "authorized_keys")
	if err := writeFiles(map[string][]byte{hostKeyPath: pem.EncodeToMemory(block), authorizedPath: authorized.Bytes()}); err != nil {
		return nil, err
	}

	// Picking a free port and handing it to sshd is racy with other processes: retry a few times.
	var lastErr error
	for try := 0; try < 5; try++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		configPath := filepath.Join(dir, "sshd_config")
		if err := writeFiles(map[string][]byte{configPath: []byte(config(port, hostKeyPath, authorizedPath, opts))}); err != nil {
			return nil, err
		}
		s := &Server{Host: "127.0.0.1", Port: port, HostKey: signer.PublicKey(), dir: dir, logs: &syncBuffer{}}
		if lastErr = s.run(configPath); lastErr == nil {
			return s, nil
		}
		if !strings.Contains(s.Logs(), "Address already in use") {
			break
		}
	}
	return nil, lastErr
}

func checkPrerequisites() error {
	if _, err := os.Stat(Binary); err != nil {
		return fmt.Errorf("these tests need a real OpenSSH server at %s: install it with `apt-get install -y openssh-server` (%v)", Binary, err)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("these tests start %s and log in as root: run them as root (uid is %d)", Binary, os.Geteuid())
	}
	// sshd refuses to start without its privilege separation directory, which Debian creates only
	// when the ssh service starts.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return fmt.Errorf("sshd needs /run/sshd: create it with `mkdir -p /run/sshd` (%v)", err)
	}
	return nil
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

// run starts sshd and waits for its banner; it sets s.stop.
func (s *Server) run(configPath string) error {
	cmd := exec.Command(Binary, "-D", "-e", "-f", configPath)
	cmd.Stdout = s.logs
	cmd.Stderr = s.logs
	// Its own process group, so that stop also ends the per-connection sshd processes.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", Binary, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.stop = sync.OnceFunc(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("sshd exited at start; its log:\n%s", s.Logs())
		default:
		}
		if banner(s.Addr()) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.stop()
	return fmt.Errorf("sshd on %s did not answer within 10s; its log:\n%s", s.Addr(), s.Logs())
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

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func writeFiles(files map[string][]byte) error {
	for path, data := range files {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return err
		}
	}
	return nil
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
