package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-githubactions"

	"github.com/twittix/infra/internal/testenv/golden"
)

const testKey = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACDkmRsk3LKmB0wgsBxsOEYNbbnQ4ZnZd9UZkGuqzfPtGQAAAJgc3Ml8HNzJ
-----END OPENSSH PRIVATE KEY-----`

func TestSecretsAreMaskedBeforeAnythingIsPrinted(t *testing.T) {
	t.Parallel()
	env := newGitHubEnv(t, map[string]string{"INPUT_SSH_KEY": testKey, "INPUT_HOST": "h", "INPUT_PORT": "x"})
	var o testOptions
	rt := env.runtime()
	rt.declare(declare(&o))
	err := rt.Parse(declare(&o), nil)
	if err == nil {
		t.Fatal("Parse succeeded, want the port error")
	}
	rt.ReportError(err)
	rt.Infof("loaded key:\n%s", testKey)
	if err := rt.SetOutput("changed", "key="+testKey); err != nil {
		t.Fatal(err)
	}
	if err := rt.WriteSummary(new(Summary).Paragraph(testKey)); err != nil {
		t.Fatal(err)
	}

	log := env.out.String()
	lines := strings.Split(log, "\n")
	// One mask for the whole value and one per line, before any other line.
	wantMasks := []string{"::add-mask::" + strings.ReplaceAll(testKey, "\n", "%0A")}
	for _, l := range strings.Split(testKey, "\n") {
		wantMasks = append(wantMasks, "::add-mask::"+l)
	}
	if diff := cmp.Diff(wantMasks, lines[:len(wantMasks)]); diff != "" {
		t.Errorf("first log lines (-want +got):\n%s", diff)
	}
	rest := strings.Join(lines[len(wantMasks):], "\n") + env.file(t, "GITHUB_OUTPUT") + env.file(t, "GITHUB_STEP_SUMMARY")
	for _, l := range strings.Split(testKey, "\n") {
		if strings.Contains(rest, l) {
			t.Errorf("secret line %q printed after masking:\n%s", l, rest)
		}
	}
	if !strings.Contains(rest, "loaded key:\n***\n") {
		t.Errorf("log does not show the redacted key:\n%s", rest)
	}
}

func TestMaskLocallyRedactsWithoutWorkflowCommands(t *testing.T) {
	t.Parallel()
	env := newLocalEnv(map[string]string{"INPUT_SSH_KEY": "hunter2", "INPUT_HOST": "h", "GITHUB_WORKSPACE": t.TempDir()})
	var o testOptions
	rt := env.runtime()
	if err := rt.Parse(declare(&o), nil); err != nil {
		t.Fatal(err)
	}
	rt.Infof("passphrase is %s", o.Key)
	if got, want := env.out.String(), "passphrase is ***\n"; got != want {
		t.Errorf("log = %q, want %q", got, want)
	}
}

func TestOutputsCannotBeInjected(t *testing.T) {
	t.Parallel()
	// A value that closes go-githubactions' fixed heredoc delimiter, adds an output of its own,
	// and reopens a heredoc so that the writer's closing delimiter still parses.
	evil := "web\n_GitHubActionsFileCommandDelimeter_\nimage=attacker/evil\nx<<_GitHubActionsFileCommandDelimeter_"

	t.Run("go-githubactions is injectable", func(t *testing.T) {
		t.Parallel()
		env := newGitHubEnv(t, nil)
		gha := githubactions.New(githubactions.WithGetenv(env.getenv), githubactions.WithWriter(&env.out))
		gha.SetOutput("changed", evil)
		got, err := parseFileCommands(env.file(t, "GITHUB_OUTPUT"))
		if err != nil {
			t.Fatal(err)
		}
		if got["image"] != "attacker/evil" {
			t.Fatalf("outputs = %q: the fixed delimiter no longer lets a value inject outputs; this test documents why SetOutput exists", got)
		}
	})

	t.Run("SetOutput is not", func(t *testing.T) {
		t.Parallel()
		env := newGitHubEnv(t, nil)
		rt := env.runtime()
		for _, o := range []struct{ name, value string }{{"changed", evil}, {"services", "[]"}} {
			if err := rt.SetOutput(o.name, o.value); err != nil {
				t.Fatal(err)
			}
		}
		got, err := parseFileCommands(env.file(t, "GITHUB_OUTPUT"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]string{"changed": evil, "services": "[]"}, got); diff != "" {
			t.Errorf("outputs (-want +got):\n%s", diff)
		}
	})
}

func TestSetOutputRules(t *testing.T) {
	t.Parallel()
	env := newGitHubEnv(t, nil)
	rt := env.runtime()
	var o testOptions
	rt.declare(declare(&o))
	if err := rt.SetOutput("undeclared", "x"); err == nil || !strings.Contains(err.Error(), "not declared") {
		t.Errorf("SetOutput(undeclared) = %v, want a not-declared error", err)
	}

	local := newLocalEnv(nil)
	lrt := local.runtime()
	if err := lrt.SetOutput("changed", "web,api"); err != nil {
		t.Fatal(err)
	}
	if got, want := local.out.String(), "changed=web,api\n"; got != want {
		t.Errorf("local output printed %q, want %q", got, want)
	}
}

func TestGroupsAndAnnotations(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  func(t *testing.T) *fakeEnv
		want string
	}{
		{"github", func(t *testing.T) *fakeEnv {
			return newGitHubEnv(t, map[string]string{"GITHUB_WORKSPACE": "/github/workspace"})
		}, "::group::Deploy\nweb 1/1\n-- nested\n::warning::host key verification is disabled\n::endgroup::\n" +
			"::error col=3,file=deploy/compose.yml,line=12::service web: unknown key%0Aimage: requires a string\n" +
			"::error::plain, 100%25 failure\n"},
		{"local", func(t *testing.T) *fakeEnv {
			return newLocalEnv(map[string]string{"GITHUB_WORKSPACE": "/github/workspace"})
		}, "== Deploy ==\nweb 1/1\n-- nested\nwarning: host key verification is disabled\n" +
			"error: deploy/compose.yml:12: service web: unknown key\nimage: requires a string\n" +
			"error: plain, 100% failure\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := tc.env(t)
			rt := env.runtime()
			end := rt.Group("Deploy")
			rt.Infof("web 1/1")
			rt.Group("nested")()
			rt.Warnf("host key verification is disabled")
			end()
			end() // ending twice is harmless
			rt.ReportError(errors.Join(
				&fileError{"/github/workspace/deploy/compose.yml", 12, 3, "service web: unknown key\nimage: requires a string"},
				fmt.Errorf("plain, 100%% failure"),
			))
			if diff := cmp.Diff(tc.want, env.out.String()); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
		})
	}
}

type fileError struct {
	file      string
	line, col int
	msg       string
}

func (e *fileError) Error() string                { return e.msg }
func (e *fileError) Location() (string, int, int) { return e.file, e.line, e.col }

func TestSummaryRendering(t *testing.T) {
	t.Parallel()
	env := newGitHubEnv(t, nil)
	rt := env.runtime()
	s := new(Summary).
		Heading(2, "Deploy of stack twittix_pre*prod").
		Paragraph("Deployed "+Code("web")+" and "+Code("a`b")+" in 4.2s.").
		Table([]string{"Service", "Before", "After", "Status"}, [][]string{
			{Code("twittix_web"), Code("registry/web:1.0@sha256:aaa"), Code("registry/web:1.1@sha256:bbb"), "✅ updated"},
			{Escape("twittix_api|v2"), "", Escape("<none>"), "❌ rolled back\ntask exited with 1"},
			{"short row"},
		}).
		List("log: "+Link("console (prod)", "https://console.cloud.google.com/cloud-build/builds;region=eu/1?project=p q"), "second").
		Details("Last log lines of twittix_api", "panic: <nil> & co\nexit 2\n")
	if err := rt.WriteSummary(s); err != nil {
		t.Fatal(err)
	}
	if err := rt.WriteSummary(new(Summary).Paragraph("appended")); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "summary.golden.md"), env.file(t, "GITHUB_STEP_SUMMARY"))
	if out := env.out.String(); out != "" {
		t.Errorf("WriteSummary printed %q in GitHub Actions, want nothing", out)
	}
}

func TestMainDispatch(t *testing.T) {
	t.Parallel()
	cmd := Command{Name: "test", Summary: "A test command", Setup: func(in *Inputs) RunFunc {
		o := &testOptions{}
		*in = *declare(o)
		in.command = "test"
		return func(ctx context.Context, rt *Runtime) error {
			if o.Mode == "deploy" {
				panic("boom") // a bug in a command
			}
			if o.Mode == "canary" {
				<-ctx.Done()
				rt.Infof("cleaning up")
				return ctx.Err()
			}
			if o.DryRun {
				return &fileError{filepath.Join(rt.Workspace(), "compose.yml"), 3, 0, "bad compose file"}
			}
			return rt.SetOutput("changed", o.Host)
		}
	}}
	cmds := []Command{cmd}

	cases := []struct {
		name     string
		args     []string
		vars     map[string]string
		cancel   bool
		wantCode int
		wantLog  []string // substrings
		wantOut  map[string]string
	}{
		{name: "version", args: []string{"version"}, wantCode: ExitOK, wantLog: []string{"twittix-infra dev"}},
		{name: "no command", wantCode: ExitUsage, wantLog: []string{"Commands:", "test", "A test command"}},
		{name: "unknown command", args: []string{"deploy"}, wantCode: ExitUsage,
			wantLog: []string{`::error::unknown command "deploy"; use one of test, version`}},
		{name: "command from INPUT_COMMAND", vars: map[string]string{"INPUT_COMMAND": "test", "INPUT_HOST": "twittix-1"},
			wantCode: ExitOK, wantOut: map[string]string{"changed": "twittix-1"}},
		{name: "bad inputs", args: []string{"test", "--port", "0", "--mode", "x"}, wantCode: ExitUsage,
			wantLog: []string{"::error::input host: is required unless docker_host is set", "::error::input port: 0 is out of range", "::error::input mode: "}},
		{name: "help", args: []string{"test", "--help"}, wantCode: ExitOK, wantLog: []string{"--host string", "--port int"}},
		{name: "failure at a file", args: []string{"test", "--host", "h", "--dry-run"}, wantCode: ExitFailure,
			wantLog: []string{"::error file=compose.yml,line=3::bad compose file"}},
		{name: "panic", args: []string{"test", "--host", "h", "--mode", "deploy"}, wantCode: ExitFailure,
			wantLog: []string{"panic: boom", "::error::internal error: boom; this is a bug in twittix-infra dev"}},
		{name: "cancelled", args: []string{"test", "--host", "h", "--mode", "canary"}, cancel: true, wantCode: ExitFailure,
			wantLog: []string{"cleaning up", "::error::test was cancelled (context canceled)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newGitHubEnv(t, tc.vars)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				cancel()
			}
			code := Main(ctx, tc.args, cmds, WithGetenv(env.getenv), WithWriter(&env.out))
			if code != tc.wantCode {
				t.Errorf("Main(%q) = %d, want %d; log:\n%s", tc.args, code, tc.wantCode, env.out.String())
			}
			for _, want := range tc.wantLog {
				if !strings.Contains(env.out.String(), want) {
					t.Errorf("log does not contain %q:\n%s", want, env.out.String())
				}
			}
			if tc.wantOut != nil {
				got, err := parseFileCommands(env.file(t, "GITHUB_OUTPUT"))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.wantOut, got); diff != "" {
					t.Errorf("outputs (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestSecretsAreRedactedInEveryForm(t *testing.T) {
	t.Parallel()
	const key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC<x>&y\n-----END PRIVATE KEY-----\n"
	creds := fmt.Sprintf(`{"type": "service_account", "project_id": "twittix-prod", "private_key_id": "0a1b2c3d4e5f", "private_key": %q, "client_email": "deployer@twittix-prod.iam.gserviceaccount.com"}`, key)
	passphrase := "p_a*s|s`w<o>r&d"
	env := newGitHubEnv(t, nil)
	rt := env.runtime()
	rt.Mask(creds)
	rt.Mask(passphrase)

	rt.Infof("decoded key:\n%s", key)
	rt.Infof("key id %s of %s", "0a1b2c3d4e5f", "deployer@twittix-prod.iam.gserviceaccount.com")
	s := new(Summary).Paragraph("escaped: "+Escape(passphrase)+" code: "+Code(passphrase)).
		Table([]string{"value"}, [][]string{{Escape(passphrase)}}).
		Details("html", passphrase)
	if err := rt.WriteSummary(s); err != nil {
		t.Fatal(err)
	}
	quoted, _ := json.Marshal(map[string]string{"k": key, "p": passphrase})
	if err := rt.SetOutput("services", string(quoted)); err != nil {
		t.Fatal(err)
	}

	log := env.out.String()
	// Drop the ::add-mask:: lines, which GitHub hides, and look everywhere else.
	var shown []string
	for _, l := range strings.Split(log, "\n") {
		if !strings.HasPrefix(l, "::add-mask::") {
			shown = append(shown, l)
		}
	}
	everything := strings.Join(shown, "\n") + env.file(t, "GITHUB_STEP_SUMMARY") + env.file(t, "GITHUB_OUTPUT")
	for _, secret := range []string{"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "0a1b2c3d4e5f", "s|s", `p\_a\*s`, "p_a*s", "w&lt;o&gt;r", `w\u003co`} {
		if strings.Contains(everything, secret) {
			t.Errorf("%q appears in the log, summary or outputs:\n%s", secret, everything)
		}
	}
	if !strings.Contains(everything, "deployer@twittix-prod.iam.gserviceaccount.com") {
		t.Errorf("the non-secret client_email was redacted too:\n%s", everything)
	}
}

func TestPrettyPrintedCredentialsDoNotGarbleOutputs(t *testing.T) {
	t.Parallel()
	// A key file as the Google Cloud console downloads it: pretty-printed JSON.
	creds := "{\n  \"type\": \"service_account\",\n  \"project_id\": \"twittix-prod\",\n  \"private_key_id\": \"0a1b2c3d4e5f6a7b\",\n" +
		"  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n\",\n" +
		"  \"client_email\": \"deployer@twittix-prod.iam.gserviceaccount.com\"\n}\n"
	env := newGitHubEnv(t, nil)
	rt := env.runtime()
	rt.Mask(creds)
	rt.Mask("ab") // a short secret is still masked as a whole value
	const traffic = `[{"revision":"web-00002","tag":"sha-1a2b3c4","percent":100}]`
	if err := rt.SetOutput("traffic", traffic); err != nil {
		t.Fatal(err)
	}
	got, err := parseFileCommands(env.file(t, "GITHUB_OUTPUT"))
	if err != nil {
		t.Fatal(err)
	}
	if got["traffic"] != traffic {
		t.Errorf("traffic output = %q, want %q: JSON punctuation was masked", got["traffic"], traffic)
	}
	for _, l := range strings.Split(env.out.String(), "\n") {
		if m, ok := strings.CutPrefix(l, "::add-mask::"); ok && !maskableLine(m) && m != "ab" && !strings.Contains(m, "%0A") {
			t.Errorf("registered a mask that garbles logs: %q", l)
		}
	}
	before := len(env.out.String())
	rt.Infof("key %s of %s", "0a1b2c3d4e5f6a7b", "deployer@twittix-prod.iam.gserviceaccount.com")
	if got, want := env.out.String()[before:], "key *** of deployer@twittix-prod.iam.gserviceaccount.com\n"; got != want {
		t.Errorf("log line = %q, want %q", got, want)
	}
}

func TestRemoteTextCannotIssueWorkflowCommands(t *testing.T) {
	t.Parallel()
	env := newGitHubEnv(t, nil)
	rt := env.runtime()
	// Text from elsewhere (a server's error, a build log) that tries to add a mask and stop
	// command processing.
	rt.Infof("Step #1: done\n::add-mask::x\n  ::stop-commands::tok\n##[group]fake\nok: a::b\r::error::cr\n\u3000::error::sp x ##[error]mid")
	want := "Step #1: done\n| ::add-mask::x\n|   ::stop-commands::tok\n## [group]fake\nok: a::b\r| ::error::cr\n| \u3000::error::sp x ## [error]mid\n"
	if got := env.out.String(); got != want {
		t.Errorf("log = %q, want %q", got, want)
	}
}

func TestRunURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{}, ""},
		{map[string]string{"GITHUB_REPOSITORY": "twittix/web", "GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "2"},
			"https://github.com/twittix/web/actions/runs/42/attempts/2"},
		{map[string]string{"GITHUB_REPOSITORY": "twittix/web", "GITHUB_RUN_ID": "42", "GITHUB_SERVER_URL": "https://ghe.example"},
			"https://ghe.example/twittix/web/actions/runs/42"},
	}
	for _, tc := range cases {
		if got := newLocalEnv(tc.vars).runtime().RunURL(); got != tc.want {
			t.Errorf("RunURL with %v = %q, want %q", tc.vars, got, tc.want)
		}
	}
}
