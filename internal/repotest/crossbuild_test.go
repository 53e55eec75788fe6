package repotest

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfileCrossCompiles checks the image can be built for linux/amd64 and linux/arm64 without
// emulation: the build stage runs on the builder's platform and its go build targets the platform
// buildx asks for. No golang image can be pulled here, so the test runs the build stage's go build
// instruction itself, as BuildKit would for linux/arm64 (the ARGs as environment variables, /src the
// repository, /out a temporary directory), and checks the binary is a static arm64 executable.
func TestDockerfileCrossCompiles(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(Root(), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	if !regexp.MustCompile(`(?m)^FROM --platform=\$\{?BUILDPLATFORM\}? \S+ AS build$`).MatchString(df) {
		t.Errorf("the build stage must run on the builder's platform (FROM --platform=$BUILDPLATFORM ... AS build), or buildx emulates it for each target")
	}
	for _, arg := range []string{"TARGETOS", "TARGETARCH"} {
		if !regexp.MustCompile(`(?m)^ARG ` + arg + `$`).MatchString(df) {
			t.Errorf("the build stage must declare `ARG %s` (no default: buildx sets it per platform)", arg)
		}
	}
	var script string
	for _, l := range strings.Split(strings.ReplaceAll(df, "\\\n", " "), "\n") {
		if strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build") {
			script = strings.TrimPrefix(l, "RUN ")
		}
	}
	if script == "" {
		t.Fatal("no `RUN ... go build` in the Dockerfile")
	}
	out := t.TempDir()
	script = strings.ReplaceAll(strings.ReplaceAll(script, "/src", Root()), "/out/", out+"/")
	cmd := exec.Command("sh", "-c", script)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOOS=") && !strings.HasPrefix(kv, "GOARCH=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "TARGETOS=linux", "TARGETARCH=arm64", "VERSION=cross-test")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the Dockerfile's go build for linux/arm64: %v\n%s\n%s", err, script, b)
	}
	bin, err := elf.Open(filepath.Join(out, "twittix-infra"))
	if err != nil {
		t.Fatal(err)
	}
	defer bin.Close()
	if bin.Machine != elf.EM_AARCH64 {
		t.Errorf("the build for TARGETARCH=arm64 made a %s binary; pass GOOS=$TARGETOS GOARCH=$TARGETARCH to go build", bin.Machine)
	}
	for _, p := range bin.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the arm64 binary is dynamically linked; it must be static (CGO_ENABLED=0) to run FROM scratch")
		}
	}
}
