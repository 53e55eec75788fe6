package stackfile

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadErrorsNameFileAndLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		dir      string // under testdata/load
		load     []string
		wantFile string
		wantLine int
		wantMsg  string
	}{
		{
			name:     "invalid yaml",
			dir:      "invalid-yaml",
			load:     []string{"c.yml"},
			wantFile: "c.yml", wantLine: 4, wantMsg: "invalid YAML",
		},
		{
			name:     "unknown property",
			dir:      "unknown-property",
			load:     []string{"c.yml"},
			wantFile: "c.yml", wantLine: 6, wantMsg: "additional property 'replica' is not allowed",
		},
		{
			name:     "error in the second file",
			dir:      "second-file",
			load:     []string{"base.yml", "prod.yml"},
			wantFile: "prod.yml", wantLine: 5, wantMsg: "services.web.deploy.replicas",
		},
		{
			name:     "forbidden option",
			dir:      "forbidden-option",
			load:     []string{"c.yml"},
			wantFile: "c.yml", wantLine: 5, wantMsg: "unsupported option services.web.mem_limit",
		},
		{
			name:     "missing image",
			dir:      "missing-image",
			load:     []string{"c.yml"},
			wantFile: "c.yml", wantLine: 3, wantMsg: "service web has no image",
		},
		{
			name:     "invalid image",
			dir:      "invalid-image",
			load:     []string{"c.yml"},
			wantFile: "c.yml", wantLine: 4, wantMsg: "invalid image reference",
		},
		{
			name:     "required variable",
			dir:      "required-variable",
			load:     []string{"c.yml"},
			wantFile: "c.yml", wantLine: 4, wantMsg: "set TAG",
		},
		{
			name:     "bad service env_file",
			dir:      "bad-env-file",
			load:     []string{"c.yml"},
			wantFile: "web.env", wantLine: 2, wantMsg: "is followed by whitespace",
		},
		{
			name:     "missing file",
			dir:      "missing",
			load:     []string{"nope.yml"},
			wantFile: "nope.yml", wantMsg: "cannot read compose file",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", "load", tc.dir)
			var paths []string
			for _, f := range tc.load {
				paths = append(paths, filepath.Join(dir, f))
			}
			_, err := Load(LoadOptions{Files: paths})
			fes := FileErrors(err)
			if len(fes) == 0 {
				t.Fatalf("Load error = %v, want a FileError", err)
			}
			fe := fes[0]
			if got, want := filepath.Base(fe.File), tc.wantFile; got != want {
				t.Errorf("file = %s, want %s", got, want)
			}
			if fe.Line != tc.wantLine {
				t.Errorf("line = %d, want %d (error %v)", fe.Line, tc.wantLine, fe)
			}
			if !strings.Contains(fe.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", fe.Error(), tc.wantMsg)
			}
		})
	}
}

// TestLoadIgnoresProcessEnvironment cannot run in parallel: it sets process variables that a
// deploy must not see.
func TestLoadIgnoresProcessEnvironment(t *testing.T) {
	t.Setenv("TAG", "from-process")
	t.Setenv("SECRET_FROM_RUNNER", "leaked")
	// A bare key in a service env file is looked up in the deploy's variables only.
	dir := filepath.Join("testdata", "load", "process-environment")
	p, err := Load(LoadOptions{Files: []string{filepath.Join(dir, "c.yml")}, Env: map[string]string{"FROM_INPUT": "yes"}})
	if err != nil {
		t.Fatal(err)
	}
	svc := p.Config.Services[0]
	if svc.Image != "app:default" {
		t.Errorf("image = %q, want the default, not the process's TAG", svc.Image)
	}
	got := map[string]string{}
	for k, v := range svc.Environment {
		if v == nil {
			got[k] = "<unset>"
		} else {
			got[k] = *v
		}
	}
	if diff := cmp.Diff(map[string]string{"SECRET_FROM_RUNNER": "<unset>", "FROM_INPUT": "yes"}, got); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
}

func TestLoadEnvFilePrecedence(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "load", "env-file-precedence")
	p, err := Load(LoadOptions{Files: []string{filepath.Join(dir, "c.yml")}, EnvFiles: []string{filepath.Join(dir, "vars.env")}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range p.Config.Services[0].Environment {
		got[k] = *v
	}
	want := map[string]string{"A": "1", "OVERRIDDEN": "compose", "SHARED": "b", "DOLLAR": "$V", "FROM_COMPOSE": "interpolated"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
}

func TestLoadWarnsAboutIgnoredOptions(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "load", "ignored-options")
	p, err := Load(LoadOptions{Files: []string{filepath.Join(dir, "c.yml")}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ignoring unsupported options: build",
		"ignoring deprecated option container_name: Setting the container name is not supported.",
	}
	if diff := cmp.Diff(want, p.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}
