package actiontest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFileCommands(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		text    string
		want    map[string]string
		wantErr bool
	}{
		{"plain and heredoc", "a=1\nb<<EOF\nx\ny=2\nEOF\n\nc=\n", map[string]string{"a": "1", "b": "x\ny=2", "c": ""}, false},
		{"equals before heredoc marker", "a=b<<c\n", map[string]string{"a": "b<<c"}, false},
		{"invalid line", "a=1\njunk\n", nil, true},
		{"unclosed heredoc", "a<<EOF\nx\n", nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseFileCommands(tc.text)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); !tc.wantErr && diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnv(t *testing.T) {
	t.Parallel()
	e := NewEnv(t, map[string]string{"GITHUB_SHA": "abc"})
	e.SetInputs(map[string]string{"stack_name": "twittix"})
	if e.Getenv("INPUT_STACK_NAME") != "twittix" || e.Getenv("GITHUB_ACTIONS") != "true" || e.Getenv("GITHUB_SHA") != "abc" {
		t.Errorf("environment = %v", e.vars)
	}
	if got := e.Outputs(t); len(got) != 0 {
		t.Errorf("outputs of a fresh environment = %v", got)
	}
	if got := Visible("::add-mask::s3cret\nline"); got != "line" {
		t.Errorf("Visible = %q", got)
	}
}

func TestSetStepInputs(t *testing.T) {
	t.Parallel()
	yml := filepath.Join(t.TempDir(), "action.yml")
	if err := os.WriteFile(yml, []byte("name: x\ninputs:\n  port:\n    default: \"22\"\n  host:\n    required: true\n  dry_run:\n    default: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := NewEnv(t, nil)
	e.SetStepInputs(t, yml, map[string]string{"host": "twittix-1"})
	for k, want := range map[string]string{"INPUT_PORT": "22", "INPUT_HOST": "twittix-1", "INPUT_DRY_RUN": "false"} {
		if got := e.Getenv(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}
