package mermaid

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	//go:embed package.json
	packageJSON []byte
	//go:embed package-lock.json
	packageLock []byte
	//go:embed parse.mjs
	parseScript []byte
)

// Dir is where the npm packages are installed: $XDG_CACHE_HOME/twittix-mermaid/<hash of the
// lock> (~/.cache when XDG_CACHE_HOME is unset), so that a new lock installs afresh.
func Dir() (string, error) {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no cache directory: set XDG_CACHE_HOME: %w", err)
		}
		cache = filepath.Join(home, ".cache")
	}
	sum := sha256.Sum256(packageLock)
	return filepath.Join(cache, "twittix-mermaid", hex.EncodeToString(sum[:8])), nil
}

var (
	installOnce sync.Once
	installDir  string
	installErr  error
)

// install installs the npm packages once per process, unless they are there already.
func install() (string, error) {
	installOnce.Do(func() { installDir, installErr = installIn() })
	return installDir, installErr
}

func installIn() (string, error) {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", fmt.Errorf("%s is not installed (Debian: apt-get install nodejs npm)", tool)
		}
	}
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "mermaid", "package.json")); err != nil {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return "", fmt.Errorf("failed to make the cache directory: %w", err)
		}
		// Installed aside, then renamed: an install cut short leaves no half directory behind.
		tmp, err := os.MkdirTemp(filepath.Dir(dir), ".install-")
		if err != nil {
			return "", fmt.Errorf("failed to make the install directory: %w", err)
		}
		defer os.RemoveAll(tmp)
		for name, b := range map[string][]byte{"package.json": packageJSON, "package-lock.json": packageLock} {
			if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
				return "", err
			}
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--silent")
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("npm ci of internal/testenv/mermaid failed (offline? run .ci/prereqs with the npm registry reachable): %w\n%s", err, out)
		}
		if err := os.Rename(tmp, dir); err != nil && !exists(filepath.Join(dir, "node_modules", "mermaid")) {
			return "", fmt.Errorf("failed to move the npm packages to %s: %w", dir, err)
		}
	}
	// The script is written on each run: a change to it needs no new install.
	if err := os.WriteFile(filepath.Join(dir, "parse.mjs"), parseScript, 0o644); err != nil {
		return "", err
	}
	return dir, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Checker parses diagrams; get one with New.
type Checker struct {
	dir string
}

// New returns a Checker, installing the npm packages on first use. It skips the test when Node
// or npm is missing or the install fails (offline), saying why.
func New(t testing.TB) *Checker {
	t.Helper()
	dir, err := install()
	if err != nil {
		t.Skipf("the Mermaid parse check is skipped: %v", err)
	}
	return &Checker{dir: dir}
}

// Parse parses one diagram (the text of a ```mermaid block). It returns what parse.mjs says of
// it, "gantt 5" or "xychart", or the parser's error.
func (c *Checker) Parse(diagram string) (string, error) {
	out, errs, err := c.ParseAll([]string{diagram})
	if err != nil {
		return "", err
	}
	return out[0], errs[0]
}

// ParseAll parses diagrams in one run of Node (which takes seconds to load mermaid): for each,
// what parse.mjs says of it or the parser's error. err is a failure to run Node.
func (c *Checker) ParseAll(diagrams []string) (out []string, errs []error, err error) {
	for _, d := range diagrams {
		if strings.ContainsRune(d, 0) {
			return nil, nil, errors.New("a diagram holds a NUL character, which separates diagrams")
		}
	}
	cmd := exec.Command("node", filepath.Join(c.dir, "parse.mjs"))
	cmd.Dir = c.dir
	cmd.Stdin = strings.NewReader(strings.Join(diagrams, "\x00"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("failed to run node parse.mjs: %w: %s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n")
	if len(lines) != len(diagrams) {
		return nil, nil, fmt.Errorf("node parse.mjs answered %d lines for %d diagrams:\n%s%s", len(lines), len(diagrams), stdout.String(), stderr.String())
	}
	out, errs = make([]string, len(lines)), make([]error, len(lines))
	for i, l := range lines {
		verdict, rest, _ := strings.Cut(l, " ")
		if verdict == "ok" {
			out[i] = rest
		} else {
			errs[i] = errors.New(rest)
		}
	}
	return out, errs, nil
}

// Blocks returns the diagrams of the ```mermaid blocks of a Markdown text.
func Blocks(markdown string) []string {
	var out []string
	var cur []string
	in := false
	for _, line := range strings.Split(markdown, "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "```mermaid":
			in, cur = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			out = append(out, strings.Join(cur, "\n")+"\n")
		case in:
			cur = append(cur, line)
		}
	}
	return out
}
