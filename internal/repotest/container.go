package repotest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// FinalStage returns the instructions of the last stage of a Dockerfile, with `COPY --from=<stage>
// <src> <dst>` rewritten to copy base(src) from the build context, and the sources so rewritten.
func FinalStage(dockerfile string) (string, []string, error) {
	lines := strings.Split(strings.ReplaceAll(dockerfile, "\\\n", " "), "\n")
	last := -1
	for i, l := range lines {
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(l)), "FROM ") {
			last = i
		}
	}
	if last < 0 {
		return "", nil, fmt.Errorf("no FROM in Dockerfile")
	}
	copyFrom := regexp.MustCompile(`^COPY\s+--from=\S+\s+(\S+)\s+(\S+)$`)
	var out, sources []string
	for _, l := range lines[last:] {
		l = strings.TrimSpace(l)
		if m := copyFrom.FindStringSubmatch(l); m != nil {
			sources = append(sources, m[1])
			l = fmt.Sprintf("COPY %s %s", filepath.Base(m[1]), m[2])
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n") + "\n", sources, nil
}

// BuildImage builds the image of ./Dockerfile's final stage around a binary built here (the
// golang base image of the build stage cannot be pulled on every machine), using dir as the build
// context, and returns its tag.
func BuildImage(dir, version string) (string, error) {
	df, err := os.ReadFile(filepath.Join(Root(), "Dockerfile"))
	if err != nil {
		return "", err
	}
	stage, sources, err := FinalStage(string(df))
	if err != nil {
		return "", err
	}
	for _, src := range sources {
		dst := filepath.Join(dir, filepath.Base(src))
		switch filepath.Base(src) {
		case "twittix-infra":
			if err := BuildBinary(dst, version); err != nil {
				return "", err
			}
		case "ca-certificates.crt":
			b, err := os.ReadFile(src) // the same path on this Debian host as in the golang image
			if err != nil {
				return "", fmt.Errorf("CA certificates: %w (install ca-certificates)", err)
			}
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				return "", err
			}
		default:
			return "", fmt.Errorf("the final stage copies %s from the build stage; teach BuildImage where it comes from", src)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(stage), 0o644); err != nil {
		return "", err
	}
	tag := fmt.Sprintf("twittix-infra-local:%d", time.Now().UnixNano())
	if out, err := exec.Command("docker", "build", "-q", "-t", tag, dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("docker build of the final stage:\n%s\n%v\n%s", stage, err, out)
	}
	return tag, nil
}

// BuildBinary builds twittix-infra as the Dockerfile does: static, trimmed, stripped.
func BuildBinary(dst, version string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X github.com/twittix/infra/pkg/action.Version="+version, "-o", dst, "./cmd/twittix-infra")
	cmd.Dir = Root()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
}
