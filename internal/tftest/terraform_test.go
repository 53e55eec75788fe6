package tftest

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// TestTerraformFormat runs terraform fmt -check on the repository's terraform/.
func TestTerraformFormat(t *testing.T) {
	env := terraformEnv(t)
	dir := repoTerraformDir(t)
	if _, err := os.Stat(dir); err != nil {
		t.Logf("no terraform/ directory in this checkout (%v): only the fixture is checked", err)
		dir = "testdata"
	}
	mustTerraform(t, env, dir, "fmt", "-check", "-recursive", "-diff", "-no-color")
}

// TestTerraformModules validates the root module and every module of terraform/ and runs their
// terraform test files, each as a subtest, on a copy of terraform/.
func TestTerraformModules(t *testing.T) {
	env := terraformEnv(t)
	src := repoTerraformDir(t)
	if _, err := os.Stat(src); err != nil {
		t.Logf("no terraform/ directory in this checkout (%v): nothing to validate", err)
		return
	}
	root := copyTree(t, src)
	modules := moduleDirs(t, root)
	if len(modules) == 0 {
		t.Logf("terraform/ has no module under environments/ or modules/")
	}
	for _, rel := range modules {
		t.Run(rel, func(t *testing.T) {
			t.Parallel() // each module has its own directory and .terraform
			checkModule(t, env, filepath.Join(root, rel))
		})
	}
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
