package sshd

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh/agent"
)

// StartAgent serves an SSH agent holding keys on a unix socket in a temporary directory and
// returns the socket path (what SSH_AUTH_SOCK holds). It speaks the real agent protocol
// (x/crypto/ssh/agent's keyring) and stops when the test ends.
func StartAgent(t testing.TB, keys ...Key) string {
	t.Helper()
	keyring := agent.NewKeyring()
	for _, k := range keys {
		if err := keyring.Add(agent.AddedKey{PrivateKey: k.Private, Comment: string(k.Type)}); err != nil {
			t.Fatalf("adding the %s key to the agent: %v", k.Type, err)
		}
	}
	// Unix socket paths are limited to 108 bytes: t.TempDir() can be longer, so use a short dir.
	dir, err := os.MkdirTemp("/tmp", "agent-")
	if err != nil {
		t.Fatalf("agent socket directory: %v", err)
	}
	path := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatalf("agent socket: %v", err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				continue
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = agent.ServeAgent(keyring, c)
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
		_ = os.RemoveAll(dir)
	})
	return path
}
