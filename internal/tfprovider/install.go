package tfprovider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/twittix/infra/internal/tfprovider/schema"
)

// Install builds the schema-only google provider into a filesystem mirror under dir, writes a
// Terraform CLI configuration that installs registry.terraform.io/hashicorp/google from that
// mirror only, and returns the environment (KEY=value) under which terraform uses it.
func Install(dir string) ([]string, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	mirror := filepath.Join(dir, "mirror")
	platform := runtime.GOOS + "_" + runtime.GOARCH
	bin := filepath.Join(mirror, schema.ProviderAddress, schema.ProviderVersion, platform,
		"terraform-provider-google_v"+schema.ProviderVersion)
	build := exec.Command("go", "build", "-o", bin, "./internal/tfprovider/cmd/terraform-provider-google")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("failed to build the schema-only google provider (is go on PATH?): %w\n%s", err, out)
	}
	rc := filepath.Join(dir, "terraformrc")
	if err := os.WriteFile(rc, []byte(CLIConfig(mirror)), 0o644); err != nil {
		return nil, fmt.Errorf("failed to write the terraform CLI configuration: %w", err)
	}
	return []string{"TF_CLI_CONFIG_FILE=" + rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1"}, nil
}

// CLIConfig is a Terraform CLI configuration installing hashicorp/google from the filesystem
// mirror at mirror and never from the registry; other providers still come from the registry.
func CLIConfig(mirror string) string {
	return fmt.Sprintf(`# Written by internal/tfprovider: hashicorp/google is the schema-only provider in a local mirror.
provider_installation {
  filesystem_mirror {
    path    = %q
    include = [%q]
  }
  direct {
    exclude = [%q]
  }
}
`, mirror, schema.ProviderAddress, schema.ProviderAddress)
}

// repoRoot is the directory of go.mod, found from this source file.
func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the tfprovider sources to build the provider from")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("no go.mod at %s: run from a checkout of twittix/infra: %w", root, err)
	}
	return root, nil
}
