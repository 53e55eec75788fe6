package tftest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// rootModule is the root module terraform/ of this repository must hold.
var rootModule = filepath.Join("environments", "production")

// TestTerraformFormat runs terraform fmt -check on the repository's terraform/.
func TestTerraformFormat(t *testing.T) {
	env := terraformEnv(t)
	dir := repoTerraformDir(t)
	if err := checkLayout(dir); err != nil {
		t.Fatal(err)
	}
	mustTerraform(t, env, dir, "fmt", "-check", "-recursive", "-diff", "-no-color")
}

// TestTerraformModules validates the root module and every module of terraform/ and runs their
// terraform test files, each as a subtest, on a copy of terraform/.
func TestTerraformModules(t *testing.T) {
	env := terraformEnv(t)
	src := repoTerraformDir(t)
	if err := checkLayout(src); err != nil {
		t.Fatal(err)
	}
	root := copyTree(t, src)
	modules := moduleDirs(t, root)
	for _, rel := range modules {
		t.Run(rel, func(t *testing.T) {
			t.Parallel() // each module has its own directory and .terraform
			checkModule(t, env, filepath.Join(root, rel))
		})
	}
}

// checkLayout returns what dir, this repository's terraform/, lacks of what the tests check:
// the root module environments/production and at least one module under modules/. A missing
// directory must fail the tests, not leave them nothing to check.
func checkLayout(dir string) error {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("terraform directory %s is missing: the Terraform tests check this repository's terraform/ (or the one TFTEST_TERRAFORM_DIR names)", dir)
	}
	var errs []error
	if tf, _ := filepath.Glob(filepath.Join(dir, rootModule, "*.tf")); len(tf) == 0 {
		errs = append(errs, fmt.Errorf("%s holds no *.tf: the root module %s is missing from %s", filepath.Join(dir, rootModule), rootModule, dir))
	}
	if tf, _ := filepath.Glob(filepath.Join(dir, "modules", "*", "*.tf")); len(tf) == 0 {
		errs = append(errs, fmt.Errorf("%s holds no module (a directory with *.tf): the modules of %s are missing", filepath.Join(dir, "modules"), dir))
	}
	return errors.Join(errs...)
}

// moduleDirs lists the root modules under environments/ and the modules under modules/,
// relative to root.
func moduleDirs(t *testing.T, root string) []string {
	t.Helper()
	var dirs []string
	for _, parent := range []string{"environments", "modules"} {
		entries, err := os.ReadDir(filepath.Join(root, parent))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			tf, _ := filepath.Glob(filepath.Join(root, parent, e.Name(), "*.tf"))
			if e.IsDir() && len(tf) > 0 {
				dirs = append(dirs, filepath.Join(parent, e.Name()))
			}
		}
	}
	sort.Strings(dirs)
	return dirs
}

// checkModule runs init without a backend, validate and, where test files exist, terraform test.
func checkModule(t *testing.T, env []string, dir string) {
	t.Helper()
	mustTerraform(t, env, dir, "init", "-backend=false", "-input=false", "-no-color")
	mustTerraform(t, env, dir, "validate", "-no-color")
	if hasTestFiles(dir) {
		out := mustTerraform(t, env, dir, "test", "-no-color")
		t.Logf("terraform test:\n%s", out)
	}
}
