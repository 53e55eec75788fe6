package release

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Image is the repository of the image every sub-action runs.
const Image = "ghcr.io/twittix/infra"

var (
	digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

	// usesLine matches a `uses:` of one of this repository's actions or reusable workflows at any
	// ref: `uses: twittix/infra/actions/promote@v1`, `uses: twittix/infra@main`.
	usesLine = regexp.MustCompile(`^(\s*(?:-\s+)?uses:\s*["']?twittix/infra(?:/[^@\s"'#]*)?)@[^\s"'#]+`)
	// imageLine matches the image of a Docker action or step at any tag or digest:
	// `image: docker://ghcr.io/twittix/infra:v1`, `uses: docker://ghcr.io/twittix/infra@sha256:…`.
	imageLine = regexp.MustCompile(`^(\s*(?:-\s+)?(?:image|uses):\s*["']?)docker://ghcr\.io/twittix/infra(?:[:@][^\s"'#]*)?`)
)

// Pin rewrites the tree at root into a release commit's: every sub-action (actions/*/action.yml)
// runs the image by digest, and every reference of a reusable workflow to this repository's
// actions or workflows (`uses: twittix/infra/...@ref`) points at the release's own tag. It returns
// the files it changed, relative to root. Pin fails, naming each, if a mutable reference remains
// afterwards (Verify) — a reference it does not know how to pin must be pinned by hand or taught
// to Pin, never released.
func Pin(root, version, digest string) ([]string, error) {
	var errs []error
	if _, err := ParseVersion(version); err != nil {
		errs = append(errs, err)
	}
	if !digestPattern.MatchString(digest) {
		errs = append(errs, fmt.Errorf("digest %q is not an image digest sha256:<64 hex digits>; pass the digest build-push-action returned", digest))
	}
	files, err := Targets(root)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	var changed []string
	for _, f := range files {
		path := filepath.Join(root, f)
		b, err := os.ReadFile(path)
		if err != nil {
			return changed, fmt.Errorf("failed to read %s: %w", f, err)
		}
		pinned, images := pinText(string(b), version, digest)
		if strings.HasPrefix(f, "actions/") && images == 0 {
			errs = append(errs, fmt.Errorf("%s: no `image: docker://%s...` line to pin; a sub-action must run the released image", f, Image))
			continue
		}
		if pinned == string(b) {
			continue
		}
		if err := os.WriteFile(path, []byte(pinned), 0o644); err != nil {
			return changed, fmt.Errorf("failed to write %s: %w", f, err)
		}
		changed = append(changed, f)
	}
	if len(errs) > 0 {
		return changed, errors.Join(errs...)
	}
	return changed, Verify(root, version)
}

// pinText pins the `uses:` and `image:` lines of one file and returns it with the number of
// image references pinned. Comments are left alone: they document how callers use the actions.
func pinText(text, version, digest string) (string, int) {
	lines := strings.Split(text, "\n")
	images := 0
	for i, l := range lines {
		if imageLine.MatchString(l) {
			lines[i] = imageLine.ReplaceAllString(l, "${1}docker://"+Image+"@"+digest)
			images++
			continue
		}
		lines[i] = usesLine.ReplaceAllString(l, "${1}@"+version)
	}
	return strings.Join(lines, "\n"), images
}

// Targets returns the files a release pins, relative to root: every actions/*/action.yml and every
// reusable workflow (.github/workflows/*.yml triggered by workflow_call), sorted. Other workflows
// run in this repository only (ci, release, promote) and are not what callers run.
func Targets(root string) ([]string, error) {
	actions, err := filepath.Glob(filepath.Join(root, "actions", "*", "action.y*ml"))
	if err != nil {
		return nil, err
	}
	if len(actions) == 0 {
		return nil, fmt.Errorf("no actions/*/action.yml under %s; run the release from the repository's root", root)
	}
	workflows, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.y*ml"))
	if err != nil {
		return nil, err
	}
	var files []string
	for _, a := range actions {
		files = append(files, filepath.ToSlash(strings.TrimPrefix(a, root+string(filepath.Separator))))
	}
	for _, w := range workflows {
		reusable, err := isReusable(w)
		if err != nil {
			return nil, err
		}
		if reusable {
			files = append(files, filepath.ToSlash(strings.TrimPrefix(w, root+string(filepath.Separator))))
		}
	}
	return files, nil
}

// isReusable reports whether the workflow at path is triggered by workflow_call, in any of the
// three shapes of `on:` (a string, a list, a map).
func isReusable(path string) (bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	var wf struct {
		On yaml.Node `yaml:"on"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		return false, fmt.Errorf("failed to parse %s: %w", path, err)
	}
	switch wf.On.Kind {
	case yaml.ScalarNode:
		return wf.On.Value == "workflow_call", nil
	case yaml.SequenceNode:
		for _, n := range wf.On.Content {
			if n.Value == "workflow_call" {
				return true, nil
			}
		}
	case yaml.MappingNode:
		for i := 0; i < len(wf.On.Content); i += 2 {
			if wf.On.Content[i].Value == "workflow_call" {
				return true, nil
			}
		}
	}
	return false, nil
}
