package sshconn

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/twittix/infra/internal/testenv/sshd"
)

// liveGoroutines returns the stacks of the goroutines running code of this package (tests
// excluded) or of x/crypto/ssh.
func liveGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, line := range strings.Split(g, "\n") {
			file := strings.TrimSpace(line)
			ours := strings.Contains(file, "/pkg/sshconn/") && !strings.Contains(file, "_test.go")
			if strings.HasPrefix(line, "\t") && (ours || strings.Contains(file, "golang.org/x/crypto@")) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// TestCloseLeavesNoGoroutines is not parallel: it counts goroutines, and parallel tests only start
// once the sequential ones are done.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	id := localDaemonID(t)
	if g := liveGoroutines(); len(g) != 0 {
		t.Fatalf("goroutines alive before the test:\n%s", strings.Join(g, "\n\n"))
	}
	for _, opts := range []sshd.Options{{}, {DisableStreamLocal: true}} {
		t.Run(fmt.Sprintf("streamlocal disabled %v", opts.DisableStreamLocal), func(t *testing.T) {
			// Keepalives run (their goroutines must end too), but no link is meant to die of
			// them: a loaded machine must not miss 5 in a row.
			c, docker, proxy, _ := dockerEnv(t, opts, func(cfg *Config) {
				cfg.KeepaliveInterval = 250 * time.Millisecond
				cfg.KeepaliveMaxMissed = 5
			})
			checkDaemon(t, docker, id)
			proxy.Cut()
			checkDaemon(t, docker, id) // after a reconnect
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := c.DialContext(ctx, "", ""); err == nil {
				t.Errorf("DialContext with a canceled context succeeded")
			}
			time.Sleep(600 * time.Millisecond) // a couple of keepalives
			if len(liveGoroutines()) == 0 {
				t.Fatalf("no goroutine of the client is visible: this test would prove nothing")
			}
			docker.Close()
			c.Close()
			if _, err := c.DialContext(context.Background(), "", ""); err != ErrClosed {
				t.Errorf("DialContext after Close: %v, want ErrClosed", err)
			}
			// Checked while sshd and the proxy still run: only Close can have ended them.
			if !waitFor(5*time.Second, func() bool { return len(liveGoroutines()) == 0 }) {
				t.Errorf("goroutines still alive 5s after Close:\n%s", strings.Join(liveGoroutines(), "\n\n"))
			}
		})
	}
}
