package action

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/twittix/infra/internal/actiontest"
)

// fakeEnv is a GitHub Actions environment for tests: variables, a workspace and the files the
// runner provides.
type fakeEnv struct {
	mu   sync.Mutex
	vars map[string]string
	out  actiontest.SyncBuffer
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

// parseFileCommands reads a GITHUB_OUTPUT file the way the Actions runner does.
func parseFileCommands(text string) (map[string]string, error) {
	return actiontest.ParseFileCommands(text)
}
