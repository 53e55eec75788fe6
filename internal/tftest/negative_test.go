package tftest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFixtureIsValid is the baseline of the negative tests: the unbroken fixture validates and
// its terraform test passes, so each failure below comes from its one change.
func TestFixtureIsValid(t *testing.T) {
	env := terraformEnv(t)
	checkModule(t, env, copyTree(t, filepath.Join("testdata", "fixture")))
}

// TestValidateBites breaks the fixture module in one place per case and asserts that terraform
// validate (or terraform test) fails with the message a real provider's schema gives.
func TestValidateBites(t *testing.T) {
	env := terraformEnv(t)
	tests := []struct {
		name     string
		file     string
		old, new string
		command  string // "validate" or "test"
		want     string
	}{
		{
			name: "misspelled argument",
			old:  "uniform_bucket_level_access = true", new: "uniform_bucket_level_acess = true",
			want: `An argument named "uniform_bucket_level_acess" is not expected here. Did you mean "uniform_bucket_level_access"?`,
		},
		{
			name: "missing required argument",
			old:  "  location                    = var.region\n", new: "",
			want: `The argument "location" is required, but no definition was found.`,
		},
		{
			name: "wrong nested block name",
			old:  "    containers {", new: "    container {",
			want: `Blocks of type "container" are not expected here.`,
		},
		{
			name: "missing required nested block",
			old:  "    action {\n      type = \"Delete\"\n    }\n", new: "",
			want: `At least 1 "action" blocks are required.`,
		},
		{
			name: "second block where at most one is allowed",
			old:  "  oidc {", new: "  oidc {\n    issuer_uri = \"https://example.com\"\n  }\n  oidc {",
			want: `No more than 1 "oidc" blocks are allowed`,
		},
		{
			name: "block written as an argument",
			old:  "    scaling {", new: "    scaling = {",
			want: `An argument named "scaling" is not expected here. Did you mean to define a block of type "scaling"?`,
		},
		{
			name: "wrong argument type",
			old:  "threshold_value = 5", new: "threshold_value = \"five\"",
			want: `Inappropriate value for attribute "threshold_value": a number is required.`,
		},
		{
			name: "read-only attribute set",
			old:  "  ingress  = \"INGRESS_TRAFFIC_ALL\"", new: "  ingress  = \"INGRESS_TRAFFIC_ALL\"\n  uri      = \"https://api\"",
			want: `Can't configure a value for "uri": its value will be decided automatically`,
		},
		{
			name: "unknown attribute referenced",
			old:  "value       = google_service_account.runtime.email", new: "value       = google_service_account.runtime.emial",
			want: `This object has no argument, nested block, or exported attribute named "emial".`,
		},
		{
			name: "unknown resource type",
			old:  `resource "google_monitoring_alert_policy"`, new: `resource "google_monitoring_alert_policies"`,
			want: `The provider hashicorp/google does not support resource type "google_monitoring_alert_policies".`,
		},
		{
			name: "failing assertion in terraform test",
			file: "fixture.tftest.hcl", command: "test",
			old: "max_instance_count == 3", new: "max_instance_count == 4",
			want: "max_instance_count is not planned from the configuration",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := copyTree(t, filepath.Join("testdata", "fixture"))
			file := filepath.Join(dir, "main.tf")
			if tc.file != "" {
				file = filepath.Join(dir, tc.file)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(string(b), tc.old) != 1 {
				t.Fatalf("the fixture %s must hold %q exactly once", filepath.Base(file), tc.old)
			}
			if err := os.WriteFile(file, []byte(strings.Replace(string(b), tc.old, tc.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			mustTerraform(t, env, dir, "init", "-backend=false", "-input=false", "-no-color")
			command := tc.command
			if command == "" {
				command = "validate"
			}
			out, err := terraform(env, dir, command, "-no-color")
			if err == nil {
				t.Fatalf("terraform %s succeeded on the broken fixture; want a failure saying %q\n%s", command, tc.want, out)
			}
			if !strings.Contains(oneLine(out), tc.want) {
				t.Fatalf("terraform %s failed without saying %q:\n%s", command, tc.want, out)
			}
			t.Logf("terraform %s fails as expected:\n%s", command, out)
		})
	}
}

// oneLine joins terraform's wrapped diagnostic lines, so that a message can be matched whole.
func oneLine(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "│╷╵"))
		if line != "" {
			b.WriteString(line)
			b.WriteByte(' ')
		}
	}
	return b.String()
}
