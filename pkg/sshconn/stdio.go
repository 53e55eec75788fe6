package sshconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"golang.org/x/crypto/ssh"
)

// maxStdioSessions bounds the dial-stdio sessions open at once on the SSH connection: OpenSSH
// refuses sessions beyond MaxSessions (10 by default). A dial waits for a free slot.
const maxStdioSessions = 8

// dialStdio starts `docker system dial-stdio` on the server in a new session and returns the
// session's stdin and stdout as a net.Conn.
func (c *Client) dialStdio(ctx context.Context, conn *sshConn) (net.Conn, error) {
	select {
	case c.sessions <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release := sync.OnceFunc(func() { <-c.sessions })
	socket := c.plan.cfg.DockerSocket
	command := "docker -H " + shellQuote("unix://"+socket) + " system dial-stdio"
	nc, err := withContext(ctx, func() (net.Conn, error) {
		sess, err := newSession(ctx, conn.client)
		if err != nil {
			return nil, err
		}
		sc := &stdioConn{sess: sess, command: command, socket: socket, socketField: c.plan.cfg.name(FieldDockerSocket), exited: make(chan struct{})}
		if sc.stdin, err = sess.StdinPipe(); err == nil {
			sc.stdout, err = sess.StdoutPipe()
		}
		sess.Stderr = &sc.stderr
		if err == nil {
			err = sess.Start(command)
		}
		if err != nil {
			sess.Close()
			return nil, err
		}
		// The slot is freed when the server closed the session, not when we close it: until
		// then, the server still counts it against MaxSessions.
		go func() {
			sc.waitErr = sess.Wait()
			close(sc.exited)
			release()
		}()
		return sc, nil
	})
	if err != nil {
		release()
		return nil, fmt.Errorf("failed to start `%s` on %s over SSH: %w", command, c.plan.target.addr, err)
	}
	return nc, nil
}

// newSession opens a session, retrying a few times when the server refuses it: a server whose
// MaxSessions is below maxStdioSessions, or still counting sessions that just ended.
func newSession(ctx context.Context, client *ssh.Client) (*ssh.Session, error) {
	for try := 1; ; try++ {
		sess, err := client.NewSession()
		var refused *ssh.OpenChannelError
		if err == nil || !errors.As(err, &refused) || try == 5 {
			return sess, err
		}
		select {
		case <-time.After(time.Duration(try) * 50 * time.Millisecond):
		case <-ctx.Done():
			return nil, err
		}
	}
}

// stdioConn is a net.Conn over the stdin and stdout of a remote `docker system dial-stdio`.
// Deadlines are not supported (as with docker's own ssh:// helper) and are ignored.
type stdioConn struct {
	sess    *ssh.Session
	command string
	socket  string
	// socketField names the Docker socket's field in errors.
	socketField fieldName
	stdin       io.WriteCloser
	stdout      io.Reader
	stderr      tail

	exited  chan struct{}
	waitErr error
	gotData atomic.Bool
	writeMu sync.Mutex
	once    sync.Once
}

func (s *stdioConn) Read(p []byte) (int, error) {
	n, err := s.stdout.Read(p)
	if n > 0 {
		s.gotData.Store(true)
	}
	if errors.Is(err, io.EOF) && !s.gotData.Load() {
		// The command ended before saying anything: it most likely failed. Say why.
		select {
		case <-s.exited:
		case <-time.After(2 * time.Second):
		}
		msg := s.stderr.String()
		if msg == "" && s.exitErr() != nil {
			msg = s.exitErr().Error()
		}
		if msg != "" {
			return n, fmt.Errorf("`%s` failed on the server: %s: check %s, that the docker CLI is installed there and that dockerd runs", s.command, msg, s.socketField)
		}
	}
	return n, err
}

// exitErr returns how the command ended, once it did.
func (s *stdioConn) exitErr() error {
	select {
	case <-s.exited:
		return s.waitErr
	default:
		return nil
	}
}

// Write and CloseWrite are serialized: x/crypto/ssh channels race on them (sentEOF).
func (s *stdioConn) Write(p []byte) (int, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.stdin.Write(p)
}

// CloseWrite closes the command's stdin, so that it sees the end of the request stream.
func (s *stdioConn) CloseWrite() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.stdin.Close()
}

// Close closes the session (which ends the command); it may run during a Write.
func (s *stdioConn) Close() error {
	s.once.Do(func() { s.sess.Close() })
	return nil
}

func (s *stdioConn) LocalAddr() net.Addr                { return &net.UnixAddr{Name: "@", Net: "unix"} }
func (s *stdioConn) RemoteAddr() net.Addr               { return &net.UnixAddr{Name: s.socket, Net: "unix"} }
func (s *stdioConn) SetDeadline(t time.Time) error      { return nil }
func (s *stdioConn) SetReadDeadline(t time.Time) error  { return nil }
func (s *stdioConn) SetWriteDeadline(t time.Time) error { return nil }

// tail keeps the last bytes written to it, printable characters only.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 1024

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = t.buf[len(t.buf)-tailSize:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, string(t.buf))
	return strings.TrimSpace(s)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// channelConn is a net.Conn over an SSH channel (direct-streamlocal) whose Write and CloseWrite
// are serialized: x/crypto/ssh channels race on them (sentEOF), and net/http and moby's hijacked
// connections may call them from different goroutines.
type channelConn struct {
	net.Conn
	writeMu sync.Mutex
}

func (c *channelConn) Write(p []byte) (int, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.Conn.Write(p)
}

// CloseWrite sends EOF to the socket, so that the daemon sees the end of the request stream.
func (c *channelConn) CloseWrite() error {
	cw, ok := c.Conn.(interface{ CloseWrite() error })
	if !ok {
		return nil
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return cw.CloseWrite()
}
