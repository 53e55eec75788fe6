// Command startup measures what a user of the actions pays before any work starts: the size of
// the twittix-infra binary and image, and the time from process start to the first line of output,
// against a static "hello world" Go binary as the floor.
//
// Run it with `make bench` or `go run ./bench/startup [-runs 50]`.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/twittix/infra/internal/repotest"
)

const hello = `package main

import "fmt"

func main() { fmt.Println("hello") }
`

func main() {
	runs := flag.Int("runs", 50, "process starts per command")
	flag.Parse()
	if err := run(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(1)
	}
}

func run(runs int) error {
	dir, err := os.MkdirTemp("", "bench-startup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	bin := filepath.Join(dir, "twittix-infra")
	if err := repotest.BuildBinary(bin, "bench"); err != nil {
		return err
	}
	helloBin, err := buildHello(dir)
	if err != nil {
		return err
	}

	fmt.Println("## Startup: size and time to first output line")
	fmt.Println()
	fmt.Println("| binary | size | first line, median | p90 | vs hello world |")
	fmt.Println("| --- | --- | --- | --- | --- |")
	floor, err := measure(runs, helloBin)
	if err != nil {
		return err
	}
	row := func(name, path string, m stats) {
		fmt.Printf("| %s | %s | %s | %s | %.2fx |\n", name, size(path), m.median.Round(10*time.Microsecond),
			m.p90.Round(10*time.Microsecond), float64(m.median)/float64(floor.median))
	}
	row("hello world (static Go)", helloBin, floor)
	for _, args := range [][]string{{"version"}, {"deploy-swarm", "--help"}, {"cloud-build", "--help"}, {"promote", "--help"}} {
		m, err := measure(runs, bin, args...)
		if err != nil {
			return err
		}
		row("twittix-infra "+strings.Join(args, " "), bin, m)
	}
	fmt.Println()
	return imageSize(dir)
}

func buildHello(dir string) (string, error) {
	src := filepath.Join(dir, "hello")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(hello), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module hello\n\ngo 1.26\n"), 0o644); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "hello-bin")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building hello world: %v\n%s", err, b)
	}
	return out, nil
}

type stats struct{ median, p90 time.Duration }

// measure starts path runs times and times each start until its first line of output.
func measure(runs int, path string, args ...string) (stats, error) {
	var times []time.Duration
	for range runs {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cmd := exec.CommandContext(ctx, path, args...)
		cmd.Env = []string{"PATH=/usr/bin:/bin"} // a clean environment: no INPUT_ or GITHUB_ variables
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			cancel()
			return stats{}, err
		}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			cancel()
			return stats{}, err
		}
		if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
			cancel()
			return stats{}, fmt.Errorf("%s %v printed no line: %w", path, args, err)
		}
		times = append(times, time.Since(start))
		_ = cmd.Wait() // --help of a command exits 0; its output is drained by the pipe closing
		cancel()
	}
	slices.Sort(times)
	return stats{median: times[len(times)/2], p90: times[len(times)*9/10]}, nil
}

func size(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%.1f MiB", float64(fi.Size())/(1<<20))
}

func imageSize(dir string) error {
	if err := exec.Command("docker", "info").Run(); err != nil {
		fmt.Println("Image size: skipped, no Docker daemon answers (start dockerd to measure it).")
		return nil
	}
	ctx := filepath.Join(dir, "image")
	if err := os.MkdirAll(ctx, 0o755); err != nil {
		return err
	}
	tag, err := repotest.BuildImage(ctx, "bench")
	if err != nil {
		return err
	}
	defer exec.Command("docker", "rmi", "-f", tag).Run()
	out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Size}}", tag).Output()
	if err != nil {
		return err
	}
	var bytes int64
	fmt.Sscan(strings.TrimSpace(string(out)), &bytes)
	fmt.Printf("Image (final stage of ./Dockerfile: scratch + CA certificates + binary): %.1f MiB\n", float64(bytes)/(1<<20))
	return nil
}
