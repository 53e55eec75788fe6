package gcp

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolveProject(t *testing.T) {
	t.Parallel()
	env := []EnvValue{{"GOOGLE_CLOUD_PROJECT", ""}, {"CLOUDSDK_CORE_PROJECT", "from-env-1"}, {"GCP_PROJECT", "from-env-2"}}
	tests := []struct {
		name            string
		explicit, creds string
		env             []EnvValue
		want, source    string
		wantErr         string
	}{
		{name: "input wins", explicit: "my-input", creds: "from-creds", env: env, want: "my-input", source: "input"},
		{name: "input is trimmed", explicit: "  my-input\n", want: "my-input", source: "input"},
		{name: "env before credentials", creds: "from-creds", env: env, want: "from-env-1", source: "environment (CLOUDSDK_CORE_PROJECT)"},
		{name: "first non-empty env", env: env, want: "from-env-1", source: "environment (CLOUDSDK_CORE_PROJECT)"},
		{name: "credentials when env is empty", creds: "from-creds", env: []EnvValue{{"GOOGLE_CLOUD_PROJECT", " "}}, want: "from-creds", source: "credentials"},
		{name: "nothing", wantErr: "no Google Cloud project"},
		{name: "project number refused", explicit: "123456789012", wantErr: "is a project number"},
		{name: "bad env value named", env: []EnvValue{{"GCLOUD_PROJECT", "Bad_Project"}}, wantErr: "project from environment (GCLOUD_PROJECT)"},
		{name: "domain scoped", explicit: "example.com:my-project", want: "example.com:my-project", source: "input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, source, err := ResolveProject(tc.explicit, tc.creds, tc.env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ResolveProject() error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ResolveProject() error = %v", err)
			}
			if got != tc.want || source != tc.source {
				t.Errorf("ResolveProject() = %q, %q; want %q, %q", got, source, tc.want, tc.source)
			}
		})
	}
}

// TestResolveProjectAsksCredentialsLast checks the project of the credentials (which may cost a
// metadata server request) is not looked up when the input or the environment names the project.
func TestResolveProjectAsksCredentialsLast(t *testing.T) {
	t.Parallel()
	asked := 0
	fromCreds := func() string { asked++; return "from-creds" }
	if got, _, err := resolveProject("", fromCreds, []EnvValue{{"GOOGLE_CLOUD_PROJECT", "from-env"}}); err != nil || got != "from-env" {
		t.Errorf("resolveProject(env) = %q, %v; want from-env", got, err)
	}
	if got, _, err := resolveProject("my-input", fromCreds, nil); err != nil || got != "my-input" {
		t.Errorf("resolveProject(input) = %q, %v; want my-input", got, err)
	}
	if asked != 0 {
		t.Errorf("the credentials were asked for their project %d times, want 0", asked)
	}
}

func TestProjectEnv(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"GCP_PROJECT": "p-gcp", "GOOGLE_CLOUD_PROJECT": " p-google ", "CLOUDSDK_PROJECT": "", "HOME": "/root"}
	got := ProjectEnv(func(k string) string { return vars[k] })
	want := []EnvValue{{"GOOGLE_CLOUD_PROJECT", "p-google"}, {"GCP_PROJECT", "p-gcp"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ProjectEnv() mismatch (-want +got):\n%s", diff)
	}
}

func TestValidateProjectID(t *testing.T) {
	t.Parallel()
	for id, ok := range map[string]bool{
		"my-project":        true,
		"abcdef":            true,
		"abcde":             false, // too short
		"my-project-":       false,
		"1project":          false,
		"My-Project":        false,
		"google.com:my-app": true,
		"":                  false,
	} {
		if err := ValidateProjectID(id); (err == nil) != ok {
			t.Errorf("ValidateProjectID(%q) = %v, want ok=%v", id, err, ok)
		}
	}
}

func TestKnownRegion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		region, closest string
		known           bool
	}{
		{region: "europe-west1", known: true, closest: "europe-west1"},
		{region: "europe-west99", closest: "europe-west9"},
		{region: "mars-north1", closest: ""},
	} {
		known, closest := KnownRegion(tc.region)
		if known != tc.known || closest != tc.closest {
			t.Errorf("KnownRegion(%q) = %v, %q; want %v, %q", tc.region, known, closest, tc.known, tc.closest)
		}
	}
}

func TestValidateRegion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		region  string
		wantErr string
	}{
		{region: "europe-west1"},
		{region: "us-central1"},
		{region: "europe-west99"}, // well formed, unknown here: the API decides
		{region: "asia-central7"}, // a region added after the list was written
		{region: "us-centrall", wantErr: "not a Google Cloud region name; did you mean us-central1?"},
		{region: "europe_west1", wantErr: "did you mean europe-west1?"},
		{region: "", wantErr: "not a Google Cloud region name"},
		{region: "Europe West", wantErr: "not a Google Cloud region name"},
		{region: "global", wantErr: "not a Google Cloud region name"},
	}
	for _, tc := range tests {
		t.Run(tc.region, func(t *testing.T) {
			t.Parallel()
			err := ValidateRegion(tc.region)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateRegion(%q) = %v, want nil", tc.region, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ValidateRegion(%q) = %v, want it to contain %q", tc.region, err, tc.wantErr)
			}
		})
	}
}
