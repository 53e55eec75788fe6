package tftest

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/twittix/infra/internal/testenv/tree"
	"github.com/twittix/infra/internal/tfprovider"
)

var (
	installOnce sync.Once
	installDir  string
	installEnv  []string
	installErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if installDir != "" {
		_ = os.RemoveAll(installDir)
	}
	os.Exit(code)
}

// terraformEnv skips the test when terraform is not on PATH, else installs the schema-only
// provider once for the test binary and returns the environment terraform runs with.
func terraformEnv(t *testing.T) []string {
	t.Helper()
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Skip("terraform is not on PATH: install Terraform 1.11 (https://developer.hashicorp.com/terraform/install, " +
			"or apt-get install terraform from apt.releases.hashicorp.com) to run the Terraform tests")
	}
	installOnce.Do(func() {
		installDir, installErr = os.MkdirTemp("", "tfprovider-")
		if installErr == nil {
			installEnv, installErr = tfprovider.Install(installDir)
		}
	})
	if installErr != nil {
		t.Fatalf("install the schema-only google provider: %v", installErr)
	}
	return append(os.Environ(), installEnv...)
}

// terraform runs terraform with args in dir and returns its combined output and error.
func terraform(env []string, dir string, args ...string) (string, error) {
	cmd := exec.Command("terraform", args...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// mustTerraform runs terraform and fails the test, showing the output, when it fails.
func mustTerraform(t *testing.T, env []string, dir string, args ...string) string {
	t.Helper()
	out, err := terraform(env, dir, args...)
	if err != nil {
		t.Fatalf("terraform %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return out
}

// repoTerraformDir is the repository's terraform/ directory, found from this file, or the one
// TFTEST_TERRAFORM_DIR names (to check another worktree's terraform/ with these tests).
func repoTerraformDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("TFTEST_TERRAFORM_DIR"); dir != "" {
		t.Logf("TFTEST_TERRAFORM_DIR: checking %s", dir)
		return dir
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test source")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "terraform")
}

// copyTree copies src to a new temporary directory, without .terraform directories and lock
// files: init then installs the schema-only provider and writes nothing into the checkout.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	files := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS(src), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == ".terraform" || d.Name() == ".terraform.lock.hcl" || strings.HasSuffix(d.Name(), ".tfstate") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if name != "." {
				files[name] = &fstest.MapFile{Mode: fs.ModeDir} // kept when empty, as before
			}
			return nil
		}
		b, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(name)))
		files[name] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	return tree.Write(t, files)
}

// hasTestFiles reports whether terraform test has something to run in dir.
func hasTestFiles(dir string) bool {
	for _, pattern := range []string{"*.tftest.hcl", "tests/*.tftest.hcl"} {
		if m, _ := filepath.Glob(filepath.Join(dir, pattern)); len(m) > 0 {
			return true
		}
	}
	return false
}
