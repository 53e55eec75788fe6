package terraform

import (
	"fmt"
	"strings"
	"testing"
)

// secretInState are the resource and data source types whose state holds a secret value. The
// state is readable by the terraform-plan account, which any workflow of the infra repository may
// use, pull requests included (README.md, "The plan account reads the state"): none may be used.
var secretInState = map[string]string{
	"google_secret_manager_secret_version":        "its secret_data",
	"google_secret_manager_secret_version_access": "its secret_data",
	"google_service_account_key":                  "its private_key",
	"google_storage_hmac_key":                     "its secret",
	"google_sql_user":                             "its password",
	"random_password":                             "its result",
	"tls_private_key":                             "its private key",
}

// checkNoSecretsInState returns the blocks among blocks whose state would hold a secret value.
func checkNoSecretsInState(blocks []block) []string {
	var problems []string
	for _, b := range blocks {
		if (b.Type != "resource" && b.Type != "data") || len(b.Labels) == 0 {
			continue
		}
		if what, ok := secretInState[b.Labels[0]]; ok {
			problems = append(problems, fmt.Sprintf("%s puts %s in the state, which terraform-plan (any workflow of the infra repository) reads: add secret values with gcloud (README.md)", b, what))
		}
	}
	return problems
}

func TestNoSecretsInState(t *testing.T) {
	t.Parallel()
	files := tfFiles(t, ".")
	if len(files) == 0 {
		t.Fatal("no .tf file under terraform/: the check has nothing to check")
	}
	for path, src := range files {
		for _, p := range checkNoSecretsInState(blocks(path, src)) {
			t.Error(p)
		}
	}
}

func TestCheckNoSecretsInState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		want      string // a part of the one problem expected; "" for none
	}{
		{"secret version", `resource "google_secret_manager_secret_version" "v" {}`, "its secret_data in the state"},
		{"secret version read", `data "google_secret_manager_secret_version" "v" {}`, "its secret_data in the state"},
		{"account key", `resource "google_service_account_key" "k" {}`, "its private_key"},
		{"generated password", `resource "random_password" "p" {}`, "terraform-plan"},
		{"secret without value", `resource "google_secret_manager_secret" "s" {}`, ""},
		{"commented out", "# resource \"google_service_account_key\" \"k\" {}\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := checkNoSecretsInState(blocks("main.tf", tc.src))
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("problems = %q, want none", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Errorf("problems = %q, want one containing %q", got, tc.want)
			}
		})
	}
}
