package action

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twittix/infra/internal/testenv/golden"
)

// testOptions is every kind of input, bound by declare.
type testOptions struct {
	Host     string
	Key      string
	Port     int
	DryRun   bool
	Timeout  time.Duration
	Mode     string
	Files    []string
	Env      string
	EnvFile  string
	Compose  []string
	Socket   string
	Insecure bool
}

func declare(o *testOptions) *Inputs {
	in := NewInputs("test")
	in.String(&o.Host, Input{Name: "host", Usage: "SSH host of the manager", RequiredUnless: []string{"docker_host"}})
	in.String(&o.Socket, Input{Name: "docker_host", Usage: "Local Docker socket", ConflictsWith: []string{"host"}})
	in.Multiline(&o.Key, Input{Name: "ssh_key", Usage: "Private key", Secret: true})
	in.Int(&o.Port, Input{Name: "port", Default: "22", Min: 1, Max: 65535, Usage: "SSH port"})
	in.Bool(&o.DryRun, Input{Name: "dry_run", Default: "false", Usage: "Print what would change"})
	in.Duration(&o.Timeout, Input{Name: "timeout", Default: "10m", Usage: "How long to wait"})
	in.Enum(&o.Mode, Input{Name: "mode", Default: "shift", Values: []string{"deploy", "shift", "canary"}, Usage: "What to do"})
	in.List(&o.Files, Input{Name: "tags", Usage: "Tags"})
	in.Multiline(&o.Env, Input{Name: "env", Usage: "KEY=VALUE lines"})
	in.Path(&o.EnvFile, Input{Name: "env_file", Usage: "Env file", MustExist: true})
	in.PathList(&o.Compose, Input{Name: "compose_files", Default: "docker-compose.yml", Usage: "Compose files"})
	in.Bool(&o.Insecure, Input{Name: "insecure", Default: "false", Usage: "Skip checks", Required: false})
	in.Output("changed", "What changed")
	return in
}

func TestParseDefaultsAndValues(t *testing.T) {
	t.Parallel()
	env := newGitHubEnv(t, nil)
	ws := env.Getenv("GITHUB_WORKSPACE")
	if err := os.WriteFile(filepath.Join(ws, "prod.env"), []byte("A=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		vars map[string]string
		args []string
		want testOptions
	}{
		{
			name: "defaults",
			vars: map[string]string{"INPUT_HOST": "twittix-1"},
			want: testOptions{Host: "twittix-1", Port: 22, Timeout: 10 * time.Minute, Mode: "shift",
				Compose: []string{filepath.Join(ws, "docker-compose.yml")}},
		},
		{
			name: "every kind from the environment",
			vars: map[string]string{
				"INPUT_HOST": "  twittix-1 ", "INPUT_PORT": "2222", "INPUT_DRY_RUN": "True",
				"INPUT_TIMEOUT": "90", "INPUT_MODE": "canary", "INPUT_TAGS": "a, b\nc,,",
				"INPUT_ENV": "A=1\r\nB=2", "INPUT_ENV_FILE": "prod.env",
				"INPUT_COMPOSE_FILES": "base.yml\n./deploy/../prod.yml",
			},
			want: testOptions{Host: "twittix-1", Port: 2222, DryRun: true, Timeout: 90 * time.Second,
				Mode: "canary", Files: []string{"a", "b", "c"}, Env: "A=1\nB=2",
				EnvFile: filepath.Join(ws, "prod.env"),
				Compose: []string{filepath.Join(ws, "base.yml"), filepath.Join(ws, "prod.yml")}},
		},
		{
			name: "flags win over the environment",
			vars: map[string]string{"INPUT_HOST": "from-env", "INPUT_PORT": "2222"},
			args: []string{"--host", "from-flag", "--dry-run", "--timeout=1h30m", "--docker-host", ""},
			want: testOptions{Host: "from-flag", Port: 2222, DryRun: true, Timeout: 90 * time.Minute,
				Mode: "shift", Compose: []string{filepath.Join(ws, "docker-compose.yml")}},
		},
		{
			name: "empty means unset",
			vars: map[string]string{"INPUT_DOCKER_HOST": "unix:///var/run/docker.sock", "INPUT_PORT": "", "INPUT_MODE": " "},
			want: testOptions{Socket: "unix:///var/run/docker.sock", Port: 22, Timeout: 10 * time.Minute,
				Mode: "shift", Compose: []string{filepath.Join(ws, "docker-compose.yml")}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vars := map[string]string{"GITHUB_WORKSPACE": ws}
			for k, v := range tc.vars {
				vars[k] = v
			}
			var got testOptions
			in := declare(&got)
			if err := newLocalEnv(vars).runtime().Parse(in, tc.args); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(ws, "escape")); err != nil {
		t.Fatal(err)
	}
	var o testOptions
	in := declare(&o)
	env := newLocalEnv(map[string]string{
		"GITHUB_WORKSPACE":    ws,
		"INPUT_PORT":          "70000",
		"INPUT_DRY_RUN":       "yes",
		"INPUT_TIMEOUT":       "-5m",
		"INPUT_MODE":          "blue-green",
		"INPUT_ENV_FILE":      "missing.env",
		"INPUT_COMPOSE_FILES": "../other/compose.yml,escape/x.yml",
		"INPUT_INSECURE":      "1",
	})
	err := env.runtime().Parse(in, nil)
	if err == nil {
		t.Fatal("Parse succeeded, want errors")
	}
	got := strings.Split(err.Error(), "\n")
	want := []string{
		"input host: is required unless docker_host is set; expected: SSH host of the manager",
		"input port: 70000 is out of range; use a value from 1 to 65535",
		`input dry_run: "yes" is not a boolean; use true or false`,
		`input timeout: "-5m" is negative; use a duration such as 90s or 10m`,
		`input mode: "blue-green" is not valid; use one of deploy, shift, canary`,
		`input env_file: "missing.env" does not exist in the workspace ` + ws + `; check the path, and that the repository is checked out (actions/checkout) before this step`,
		`input compose_files: "../other/compose.yml" is outside the workspace ` + ws + `; use a path inside the repository checkout; "escape/x.yml" leads to ` + filepath.Join(outside, "x.yml") + ` through a symbolic link, outside the workspace; use a path inside the repository checkout`,
		`input insecure: "1" is not a boolean; use true or false`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	var ie *InputError
	if !errors.As(err, &ie) || ie.Input != "host" {
		t.Errorf("errors.As(InputError) = %v, want the host input first", ie)
	}
}

func TestParseConflictsAndChecks(t *testing.T) {
	t.Parallel()
	var o testOptions
	in := declare(&o)
	in.Check(func() error {
		if o.DryRun && o.Mode == "canary" {
			return &InputError{"dry_run", "cannot be used with mode canary"}
		}
		return nil
	})
	env := newLocalEnv(map[string]string{
		"GITHUB_WORKSPACE": t.TempDir(), "INPUT_HOST": "h", "INPUT_DOCKER_HOST": "unix:///x.sock",
		"INPUT_DRY_RUN": "true", "INPUT_MODE": "canary",
	})
	err := env.runtime().Parse(in, nil)
	want := "input docker_host: is mutually exclusive with host; set only one of them\ninput dry_run: cannot be used with mode canary"
	if err == nil || err.Error() != want {
		t.Errorf("Parse error = %v, want %q", err, want)
	}
}

func TestParseFlagsErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--hots", "x"}, "flag provided but not defined: -hots; run `twittix-infra test --help` for the inputs"},
		{"positional", []string{"--host", "x", "stray"}, `unexpected argument "stray": inputs are given as --name value; run ` + "`twittix-infra test --help`"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var o testOptions
			err := newLocalEnv(map[string]string{"GITHUB_WORKSPACE": t.TempDir()}).runtime().Parse(declare(&o), tc.args)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Parse(%q) error = %v, want %q", tc.args, err, tc.want)
			}
		})
	}
}

func TestHelpListsInputsWithDefaults(t *testing.T) {
	t.Parallel()
	env := newLocalEnv(nil)
	var o testOptions
	if err := env.runtime().Parse(declare(&o), []string{"--help"}); !errors.Is(err, ErrHelp) {
		t.Fatalf("Parse(--help) = %v, want ErrHelp", err)
	}
	golden.Check(t, filepath.Join("testdata", "help.golden"), env.out.String())
}

func TestSplitList(t *testing.T) {
	t.Parallel()
	cases := map[string][]string{
		"":                {},
		"a":               {"a"},
		" a , b ,,c ":     {"a", "b", "c"},
		"a\nb\r\n\n c, d": {"a", "b", "c", "d"},
	}
	for raw, want := range cases {
		if diff := cmp.Diff(want, SplitList(raw)); diff != "" {
			t.Errorf("SplitList(%q) (-want +got):\n%s", raw, diff)
		}
	}
}

// TestDefaultsPassedByTheRunnerAreNotSet parses inputs as the GitHub runner passes them: the
// default of every input the step does not set arrives in its INPUT_ variable too, and must not
// count as set for conflicts and "required unless".
func TestDefaultsPassedByTheRunnerAreNotSet(t *testing.T) {
	t.Parallel()
	declareSmall := func() (*Inputs, *bool, *string) {
		in := NewInputs("test")
		var insecure bool
		var known, socket, host string
		in.Bool(&insecure, Input{Name: "insecure", Default: "false", ConflictsWith: []string{"known_hosts"}})
		in.String(&known, Input{Name: "known_hosts"})
		in.String(&socket, Input{Name: "docker_host", Default: "unix:///var/run/docker.sock"})
		in.String(&host, Input{Name: "host", RequiredUnless: []string{"docker_host"}})
		return in, &insecure, &known
	}
	cases := []struct {
		name    string
		with    map[string]string // the step's with:
		wantErr string
	}{
		{"defaults do not conflict", map[string]string{"known_hosts": "h ssh-ed25519 AAAA", "host": "h"}, ""},
		{"a default does not satisfy required-unless", map[string]string{}, "input host: is required unless docker_host is set"},
		{"a real value conflicts", map[string]string{"known_hosts": "x", "insecure": "true", "host": "h"}, "input insecure: is mutually exclusive with known_hosts"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, _, _ := declareSmall()
			vars := map[string]string{"GITHUB_WORKSPACE": t.TempDir()}
			for _, i := range in.Inputs() {
				vars[EnvName(i.Name)] = i.Default // as the runner: "" for inputs without a default
			}
			for k, v := range tc.with {
				vars[EnvName(k)] = v
			}
			err := newLocalEnv(vars).runtime().Parse(in, nil)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Parse: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Parse error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
