package sshd

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
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

	"github.com/twittix/infra/internal/actiontest"

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
	// DropIns are sshd_config drop-in files (their content), included at the top of the
	// configuration as Debian's sshd_config includes /etc/ssh/sshd_config.d/*.conf: what they
	// set wins over the lines above, and a Match block in one ends with its file.
	DropIns []string
	// UserKeys are keys allowed to log in as one user only (AuthorizedKeysFile ...%u), beside
	// AuthorizedKeys.
	UserKeys map[string][]ssh.PublicKey
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
// completes an SSH handshake with its host key (so that a port another server took first is never
// mistaken for ours). Close stops it. Programs (benchmarks, demos) use it; tests use
// Start.
func New(opts Options) (*Server, error) {
	if err := checkPrerequisites(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "sshd-")
	if err != nil {
		return nil, err
	}
	s, err := start(dir, opts, freePort)
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

// start starts sshd with its files in dir, on a port that pick returns.
func start(dir string, opts Options, pick func() (int, error)) (*Server, error) {
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
	files := map[string][]byte{hostKeyPath: pem.EncodeToMemory(block), authorizedPath: authorized.Bytes()}
	// sshd reads a user's authorized keys as that user: those files, and the directory, must
	// be readable by others (the host key stays 0600, readable by root only).
	userFiles := map[string][]byte{}
	for user, keys := range opts.UserKeys {
		var b bytes.Buffer
		for _, k := range keys {
			b.Write(ssh.MarshalAuthorizedKey(k))
		}
		userFiles[authorizedPath+"."+user] = b.Bytes()
	}
	if len(userFiles) > 0 {
		if err := os.Chmod(dir, 0o755); err != nil {
			return nil, err
		}
		for path, data := range userFiles {
			if err := os.WriteFile(path, data, 0o644); err != nil {
				return nil, err
			}
		}
	}
	for i, d := range opts.DropIns {
		files[filepath.Join(dir, fmt.Sprintf("dropin-%02d.conf", i))] = []byte(d)
	}
	if err := writeFiles(files); err != nil {
		return nil, err
	}

	// Picking a free port and handing it to sshd is racy with other processes, parallel tests'
	// sshd among them: run checks that the server answering is ours, else another port is tried.
	var lastErr error
	for try := 0; try < portTries; try++ {
		port, err := pick()
		if err != nil {
			return nil, err
		}
		configPath := filepath.Join(dir, "sshd_config")
		if err := writeFiles(map[string][]byte{configPath: []byte(config(port, hostKeyPath, authorizedPath, opts))}); err != nil {
			return nil, err
		}
		s := &Server{Host: "127.0.0.1", Port: port, HostKey: signer.PublicKey(), dir: dir, logs: &syncBuffer{}}
		lastErr = s.run(configPath)
		if lastErr == nil {
			return s, nil
		}
		if !errors.Is(lastErr, errPortTaken) {
			return nil, lastErr
		}
	}
	return nil, fmt.Errorf("sshd: no port of 127.0.0.1 could be had in %d tries: %w", portTries, lastErr)
}

// portTries bounds the ports start tries.
const portTries = 5

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
	var lines []string
	if len(opts.DropIns) > 0 {
		lines = append(lines, "Include "+filepath.Join(filepath.Dir(authorized), "dropin-*.conf"))
	}
	lines = append(lines,
		fmt.Sprintf("ListenAddress 127.0.0.1:%d", port),
		"HostKey "+hostKey,
		"AuthorizedKeysFile "+authorized+" "+authorized+".%u",
		"PidFile none",
		"UsePAM no",
		"StrictModes no",
		"PermitRootLogin prohibit-password",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"AllowStreamLocalForwarding "+yesNo(opts.DisableStreamLocal),
		"AllowTcpForwarding "+yesNo(opts.DisableTCPForwarding),
		"PrintMotd no",
		"LogLevel VERBOSE",
	)
	lines = append(lines, opts.Config...)
	return strings.Join(lines, "\n") + "\n"
}

// errPortTaken is returned by run when another server got the port first.
var errPortTaken = errors.New("the port is taken")

// run starts sshd and waits until it completes an SSH handshake with its own host key; it sets
// s.stop. It returns an error wrapping errPortTaken when sshd could not bind its port or another
// server answers there.
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
	alive := func() bool {
		select {
		case <-exited:
			return false
		default:
			return true
		}
	}

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if !alive() {
			if strings.Contains(s.Logs(), "Address already in use") {
				return fmt.Errorf("sshd could not listen on %s: %w", s.Addr(), errPortTaken)
			}
			return fmt.Errorf("sshd exited at start; its log:\n%s", s.Logs())
		}
		err := checkHostKey(s.Addr(), s.HostKey)
		switch {
		case err == nil && alive():
			return nil
		case errors.Is(err, errNotOurs):
			// Our sshd lost the race for the port (and is exiting, or soon will be).
			s.stop()
			return fmt.Errorf("another server answers on %s (%v): %w", s.Addr(), err, errPortTaken)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.stop()
	return fmt.Errorf("sshd on %s did not answer within 10s; its log:\n%s", s.Addr(), s.Logs())
}

// errNotOurs is returned by checkHostKey when the server on addr has another host key.
var errNotOurs = errors.New("the server presented another host key")

// checkHostKey runs an SSH handshake with the server on addr up to the host key check, and
// returns nil if its host key is want. Authentication is not attempted with any key: the host key
// is checked before it, so the refusal that follows is expected.
func checkHostKey(addr string, want ssh.PublicKey) error {
	nc, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err // not listening yet
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	var (
		mu        sync.Mutex
		presented ssh.PublicKey
	)
	config := &ssh.ClientConfig{
		User: "sshd-start-check",
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			mu.Lock()
			presented = key
			mu.Unlock()
			if !bytes.Equal(key.Marshal(), want.Marshal()) {
				return errNotOurs
			}
			return nil
		},
	}
	c, _, _, err := ssh.NewClientConn(nc, addr, config)
	if c != nil {
		c.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	switch {
	case presented == nil:
		return fmt.Errorf("no SSH handshake on %s: %w", addr, err)
	case !bytes.Equal(presented.Marshal(), want.Marshal()):
		return fmt.Errorf("%s %s: %w", presented.Type(), ssh.FingerprintSHA256(presented), errNotOurs)
	}
	return nil
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

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer = actiontest.SyncBuffer
