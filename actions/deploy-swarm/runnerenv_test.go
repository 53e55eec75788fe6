package deployswarm

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseEnvFromRunner(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw       string
		enabled   bool
		names     []string
		wantError string
	}{
		{raw: "false"},
		{raw: "true", enabled: true},
		{raw: "APP_VERSION, DEPLOY_NOTE\nOTHER", enabled: true, names: []string{"APP_VERSION", "DEPLOY_NOTE", "OTHER"}},
		{raw: "actions_runtime_token", wantError: "actions_runtime_token is never passed"},
		{raw: "ACTIONS_ID_TOKEN_REQUEST_URL", wantError: "ACTIONS_ID_TOKEN_REQUEST_URL is never passed"},
		{raw: "GITHUB_TOKEN", wantError: "GITHUB_TOKEN is never passed"},
		{raw: "INPUT_SSH_KEY", wantError: "INPUT_SSH_KEY is never passed"},
		{raw: "1BAD, A-B", wantError: `"1BAD" is not a variable name; "A-B" is not a variable name; use true, false, or a list`},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			t.Parallel()
			enabled, names, err := parseEnvFromRunner(tc.raw)
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("error = %v, want %q", err, tc.wantError)
				}
				return
			}
			if err != nil || enabled != tc.enabled || !cmp.Equal(names, tc.names) {
				t.Errorf("parseEnvFromRunner(%q) = %v, %v, %v; want %v, %v", tc.raw, enabled, names, err, tc.enabled, tc.names)
			}
		})
	}
}

func TestRunnerEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"GITHUB_SHA": "abc", "RUNNER_OS": "Linux", "APP": "x", "OTHER": "y",
		"ACTIONS_RUNTIME_TOKEN": "t", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t", "GITHUB_TOKEN": "t", "INPUT_SSH_KEY": "k",
	}
	getenv := func(k string) string { return env[k] }
	got := runnerEnv(getenv, false, []string{"APP"})
	want := map[string]string{"GITHUB_SHA": "abc", "RUNNER_OS": "Linux", "APP": "x"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("local (-want +got):\n%s", diff)
	}
	// In GitHub Actions the defaults are set, empty ones included (GITHUB_BASE_REF on a push).
	if v, ok := runnerEnv(getenv, true, nil)["GITHUB_BASE_REF"]; !ok || v != "" {
		t.Errorf("GITHUB_BASE_REF = %q, %v; want set and empty", v, ok)
	}
}
