package main

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// cliVersion is the docker/cli release the baseline figures were taken with; it is the module
// version in go.mod.
const cliVersion = "v29.9.3+incompatible"

// dockerCLI returns the path of a docker v29 CLI, building it from the docker/cli module source
// when it is not cached yet. The docker CLI installed on the machine may be too old to know
// `stack deploy --detach=false`. The build happens in a temporary module made from the source's
// vendor.mod, so this repository's go.mod is never touched; swarmkit is pinned to v2.1.2 as in
// our go.mod, since v2.1.3 is not on the module proxy.
func dockerCLI(ctx context.Context, override string) (string, error) {
	if override != "" {
		return override, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(cache, "twittix-infra", "docker-cli-"+strings.TrimSuffix(cliVersion, "+incompatible"), "docker")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	modcache, err := goEnv(ctx, "GOMODCACHE")
	if err != nil {
		return "", err
	}
	src := filepath.Join(modcache, "github.com", "docker", "cli@"+cliVersion)
	if _, err := os.Stat(src); err != nil {
		if out, err := exec.CommandContext(ctx, "go", "mod", "download", "github.com/docker/cli@"+cliVersion).CombinedOutput(); err != nil {
			return "", fmt.Errorf("failed to download docker/cli %s: %w\n%s", cliVersion, err, out)
		}
	}
	tmp, err := os.MkdirTemp("", "docker-cli-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if err := copyTree(src, tmp); err != nil {
		return "", fmt.Errorf("failed to copy the docker/cli source: %w", err)
	}
	if err := os.RemoveAll(filepath.Join(tmp, "vendor")); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(tmp, "vendor.mod"), filepath.Join(tmp, "go.mod")); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(tmp, "vendor.sum"), filepath.Join(tmp, "go.sum")); err != nil {
		return "", err
	}
	if err := appendSwarmkitSums(filepath.Join(tmp, "go.sum")); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "building docker CLI %s into %s (once)...\n", cliVersion, bin)
	steps := [][]string{
		{"go", "mod", "edit", "-require=github.com/moby/swarmkit/v2@v2.1.2"},
		{"go", "build", "-o", bin, "./cmd/docker"},
	}
	for _, args := range steps {
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "CGO_ENABLED=0", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return bin, nil
}

// appendSwarmkitSums copies the checksums of swarmkit v2.1.2 from this module's go.sum.
func appendSwarmkitSums(dst string) error {
	f, err := os.Open("go.sum")
	if err != nil {
		return fmt.Errorf("run the benchmark from the repository root: %w", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "github.com/moby/swarmkit/v2 v2.1.2") {
			lines = append(lines, sc.Text())
		}
	}
	out, err := os.OpenFile(dst, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer out.Close()
	_, err = out.WriteString(strings.Join(lines, "\n") + "\n")
	return err
}

func goEnv(ctx context.Context, key string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", key).Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %w", key, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// copyTree copies a directory of regular files, making the copies writable.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
