package action

import (
	"os"
	"testing"

	"github.com/twittix/infra/internal/actiontest"
)

// fakeEnv is the environment of a test run: variables (and, inside GitHub Actions, the workspace
// and the files the runner provides), and the log.
type fakeEnv struct {
	*actiontest.Env
	out actiontest.SyncBuffer
}

// newGitHubEnv returns an environment like the runner's: GITHUB_ACTIONS=true, a workspace and
// empty GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files.
func newGitHubEnv(t *testing.T, vars map[string]string) *fakeEnv {
	t.Helper()
	return &fakeEnv{Env: actiontest.NewEnv(t, vars)}
}

// newLocalEnv returns an environment outside GitHub Actions, with the given variables only.
func newLocalEnv(vars map[string]string) *fakeEnv {
	return &fakeEnv{Env: actiontest.NewBareEnv(vars)}
}

func (e *fakeEnv) getenv(k string) string { return e.Getenv(k) }

func (e *fakeEnv) runtime() *Runtime {
	return NewRuntime(WithGetenv(e.Getenv), WithWriter(&e.out))
}

// file returns the content of the file the variable name points to.
func (e *fakeEnv) file(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(e.Getenv(name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// parseFileCommands reads a GITHUB_OUTPUT file the way the Actions runner does.
func parseFileCommands(text string) (map[string]string, error) {
	return actiontest.ParseFileCommands(text)
}
