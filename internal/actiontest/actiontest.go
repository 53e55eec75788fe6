// Package actiontest is what the end-to-end tests of the actions share: a GitHub Actions runner
// environment (variables, workspace, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files), a parser of
// file commands that behaves like the runner's, and a goroutine-safe log buffer.
//
// It does not import pkg/action, so that pkg/action's own tests can use it too.
package actiontest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Env is the environment the runner gives a step: GITHUB_ACTIONS=true, a workspace, empty
// GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, and the variables the test sets.
type Env struct {
	mu   sync.Mutex
	vars map[string]string
}

// NewEnv returns a runner environment in a temporary directory of t, with vars added.
func NewEnv(t testing.TB, vars map[string]string) *Env {
	t.Helper()
	dir := t.TempDir()
	e := &Env{vars: map[string]string{
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

// NewBareEnv returns an environment with vars only, as on a laptop outside GitHub Actions.
func NewBareEnv(vars map[string]string) *Env {
	e := &Env{vars: map[string]string{}}
	for k, v := range vars {
		e.vars[k] = v
	}
	return e
}

// Getenv reads a variable of the environment; pass it to action.WithGetenv.
func (e *Env) Getenv(key string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.vars[key]
}

// Environ returns the environment as KEY=VALUE strings, for a child process.
func (e *Env) Environ() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.vars))
	for k, v := range e.vars {
		out = append(out, k+"="+v)
	}
	return out
}

// Set sets a variable.
func (e *Env) Set(key, value string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.vars[key] = value
}

// SetInputs sets the INPUT_<NAME> variables the runner derives from a step's `with:`.
func (e *Env) SetInputs(inputs map[string]string) {
	for name, value := range inputs {
		e.Set("INPUT_"+strings.ToUpper(strings.ReplaceAll(name, " ", "_")), value)
	}
}

// SetStepInputs sets the INPUT_<NAME> variables exactly as the runner does for a step that uses
// the action of actionYML with `with:` inputs: every input the action declares gets a variable,
// holding the step's value, else the input's default, else "". An input the action does not
// declare fails t (the runner would only warn, and the input would be lost).
func (e *Env) SetStepInputs(t testing.TB, actionYML string, with map[string]string) {
	t.Helper()
	b, err := os.ReadFile(actionYML)
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Inputs map[string]struct {
			Default *string `yaml:"default"`
		} `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(b, &meta); err != nil {
		t.Fatalf("%s: %v", actionYML, err)
	}
	for name := range with {
		if _, ok := meta.Inputs[name]; !ok {
			t.Fatalf("%s declares no input %q", actionYML, name)
		}
	}
	all := map[string]string{}
	for name, in := range meta.Inputs {
		value, ok := with[name]
		if !ok && in.Default != nil {
			value = *in.Default
		}
		all[name] = value
	}
	e.SetInputs(all)
}

// Workspace is GITHUB_WORKSPACE.
func (e *Env) Workspace() string { return e.Getenv("GITHUB_WORKSPACE") }

// Outputs parses GITHUB_OUTPUT as the runner does, failing t on a malformed record.
func (e *Env) Outputs(t testing.TB) map[string]string {
	t.Helper()
	b, err := os.ReadFile(e.Getenv("GITHUB_OUTPUT"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseFileCommands(string(b))
	if err != nil {
		t.Fatalf("GITHUB_OUTPUT is malformed: %v\n%s", err, b)
	}
	return out
}

// Summary returns what was appended to GITHUB_STEP_SUMMARY.
func (e *Env) Summary(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(e.Getenv("GITHUB_STEP_SUMMARY"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ParseFileCommands reads a GITHUB_OUTPUT (or GITHUB_ENV) file the way the Actions runner does:
// `name=value` lines, or `name<<DELIMITER` followed by value lines up to a line equal to
// DELIMITER. A line that is neither, or a heredoc that is never closed, is an error, as for the
// runner.
func ParseFileCommands(text string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
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

// Visible returns the log as a user sees it in GitHub: without the ::add-mask:: commands, which
// the runner hides. Tests grep it for secrets.
func Visible(log string) string {
	var shown []string
	for _, l := range strings.Split(log, "\n") {
		if !strings.HasPrefix(l, "::add-mask::") {
			shown = append(shown, l)
		}
	}
	return strings.Join(shown, "\n")
}

// SyncBuffer is a bytes.Buffer safe for concurrent writes, for a command's log.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
