package tftest

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/twittix/infra/internal/testenv/tree"
)

// TestCheckLayout checks that a terraform/ without its root module or modules is an error, so
// that TestTerraformFormat and TestTerraformModules fail instead of checking nothing.
func TestCheckLayout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files []string // created under the terraform directory
		want  []string // parts of the error; none for no error
	}{
		{"complete", []string{"environments/production/main.tf", "modules/network/main.tf"}, nil},
		{"no root module", []string{"modules/network/main.tf"}, []string{"root module environments/production is missing"}},
		{"root module without tf", []string{"environments/production/README.md", "modules/network/main.tf"}, []string{"root module environments/production is missing"}},
		{"no module", []string{"environments/production/main.tf"}, []string{"holds no module"}},
		{"module directory without tf", []string{"environments/production/main.tf", "modules/network/README.md"}, []string{"holds no module"}},
		{"empty", []string{}, []string{"root module environments/production is missing", "holds no module"}},
		{"absent", nil, []string{"is missing: the Terraform tests check"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := fstest.MapFS{}
			if tc.files != nil {
				files["terraform"] = &fstest.MapFile{Mode: fs.ModeDir}
			}
			for _, f := range tc.files {
				files["terraform/"+f] = &fstest.MapFile{}
			}
			dir := filepath.Join(tree.Write(t, files), "terraform")
			err := checkLayout(dir)
			if len(tc.want) == 0 {
				if err != nil {
					t.Errorf("checkLayout = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("checkLayout = nil, want an error containing %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("checkLayout = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// TestRepositoryLayout checks this repository's terraform/ (or TFTEST_TERRAFORM_DIR) has what
// the Terraform tests check, even where terraform is not installed and they skip.
func TestRepositoryLayout(t *testing.T) {
	t.Parallel()
	if err := checkLayout(repoTerraformDir(t)); err != nil {
		t.Error(err)
	}
}
