package sshconn

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/pkg/logging"
)

// logBuffer is a logging.Logger whose output a test can read while connections log into it.
type logBuffer struct {
	logging.Logger
	mu  sync.Mutex
	buf bytes.Buffer
}

func newLog() *logBuffer {
	l := &logBuffer{}
	l.Logger = logging.New(writerFunc(func(p []byte) (int, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.buf.Write(p)
	}))
	return l
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitFor polls cond until it holds or timeout passes, and reports whether it held.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

// connAlive reports whether c's current SSH connection is alive.
func connAlive(c *Client) bool {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	return conn != nil && conn.alive()
}

// config returns a Config that logs in to s as root with the key pemText and pins s's host key
// through known_hosts, with short waits suited to tests.
func config(s *sshd.Server, pemText string) Config {
	return Config{
		Endpoint: Endpoint{
			Host: s.Host, Port: s.Port, User: "root",
			Key: pemText, KnownHosts: s.KnownHostsLine(),
		},
		ConnectTimeout: 10 * time.Second,
		RetryBackoff:   10 * time.Millisecond,
	}
}

// assertNoSecrets fails the test if any text contains a secret or a line of key material.
func assertNoSecrets(t *testing.T, secrets []string, texts ...string) {
	t.Helper()
	var needles []string
	for _, s := range secrets {
		if strings.Contains(s, "-----BEGIN") {
			for _, line := range strings.Split(s, "\n") {
				if line = strings.TrimSpace(line); len(line) >= 16 && !strings.HasPrefix(line, "-----") {
					needles = append(needles, line[:16])
				}
			}
			continue
		}
		if s != "" {
			needles = append(needles, s)
		}
	}
	for _, text := range texts {
		for _, n := range needles {
			if strings.Contains(text, n) {
				t.Errorf("a secret (%d chars) appears in:\n%s", len(n), text)
				return
			}
		}
	}
}

// fieldErrors returns the *FieldError values joined in err.
func fieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var fe *FieldError
		if errors.As(err, &fe) {
			out = append(out, fe)
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}
