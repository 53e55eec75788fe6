package action

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeEnv is a GitHub Actions environment for tests: variables, a workspace and the files the
// runner provides.
type fakeEnv struct {
	mu   sync.Mutex
	vars map[string]string
	out  syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newGitHubEnv returns an environment like the runner's: GITHUB_ACTIONS=true, a workspace and
// empty GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files.
func newGitHubEnv(t *testing.T, vars map[string]string) *fakeEnv {
	t.Helper()
	dir := t.TempDir()
	e := &fakeEnv{vars: map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_WORKSPACE":    filepath.Join(dir, "workspace"),
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
	}}
	if err := os.MkdirAll(e.vars["GITHUB_WORKSPACE"], 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		if err := os.WriteFile(e.vars[f], nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range vars {
		e.vars[k] = v
	}
	return e
}

// newLocalEnv returns an environment outside GitHub Actions, with the given variables only.
func newLocalEnv(vars map[string]string) *fakeEnv {
	e := &fakeEnv{vars: map[string]string{}}
	for k, v := range vars {
		e.vars[k] = v
	}
	return e
}

func (e *fakeEnv) getenv(k string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.vars[k]
}

func (e *fakeEnv) runtime() *Runtime {
	return NewRuntime(WithGetenv(e.getenv), WithWriter(&e.out))
}

func (e *fakeEnv) file(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(e.vars[name])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// parseFileCommands reads a GITHUB_OUTPUT file the way the Actions runner does
// (actions/runner SetOutputFileCommand): `name=value` lines, or `name<<DELIMITER` followed by
// value lines up to a line equal to DELIMITER.
func parseFileCommands(text string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		eq, hd := strings.Index(line, "="), strings.Index(line, "<<")
		if eq >= 0 && (hd < 0 || eq < hd) {
			out[line[:eq]] = line[eq+1:]
			continue
		}
		if hd < 0 {
			return nil, fmt.Errorf("invalid line %q", line)
		}
		name, delim := line[:hd], line[hd+2:]
		var value []string
		closed := false
		for sc.Scan() {
			if sc.Text() == delim {
				closed = true
				break
			}
			value = append(value, sc.Text())
		}
		if !closed {
			return nil, fmt.Errorf("delimiter %q of %s never closed", delim, name)
		}
		out[name] = strings.Join(value, "\n")
	}
	return out, sc.Err()
}
