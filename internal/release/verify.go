package release

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"go.yaml.in/yaml/v3"
)

var (
	// repoRef finds a reference to this repository's actions or workflows at a ref:
	// twittix/infra/actions/promote@v1, twittix/infra/.github/workflows/preprod.yml@main,
	// twittix/infra@v1 (the root action). The image (ghcr.io/twittix/infra) is imageRef's.
	repoRef = regexp.MustCompile(`(?:^|[^\w./-])(twittix/infra(?:/[\w.-]+)*@([^\s"'#),]+))`)
	// imageRef finds a reference to the image, with whatever tag or digest follows it.
	imageRef = regexp.MustCompile(`ghcr\.io/twittix/infra(?:[:@][^\s"'#),]*)?`)
	// pinnedImage is an image reference by digest (a tag before the digest is ignored by docker).
	pinnedImage = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)
	commitSHA   = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// Verify checks that no file Pin pins holds a mutable reference to this repository: every
// reference to its actions or workflows must be at version (the release's tag) or a full commit
// SHA, and every reference to the image must carry a digest. It looks at every YAML key and value
// (run: scripts, with: inputs, container: images too), not at comments, and names each leftover
// by file and line.
func Verify(root, version string) error {
	files, err := Targets(root)
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return fmt.Errorf("failed to read %s: %w", f, err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("failed to parse %s: %w", f, err)
		}
		walkScalars(&doc, func(n *yaml.Node) {
			for _, ref := range MutableRefs(n.Value, version) {
				errs = append(errs, fmt.Errorf("%s:%d: %s is a mutable reference; a release pins this repository's actions and workflows @%s (or a commit SHA) and the image by @sha256 digest", f, n.Line, ref, version))
			}
		})
	}
	return errors.Join(errs...)
}

// MutableRefs returns the references to this repository in s that a release must not hold:
// actions or workflows at a ref other than version or a full commit SHA, and the image without a
// digest.
func MutableRefs(s, version string) []string {
	var refs []string
	for _, m := range repoRef.FindAllStringSubmatch(s, -1) {
		if ref := m[2]; ref != version && !commitSHA.MatchString(ref) {
			refs = append(refs, m[1])
		}
	}
	for _, img := range imageRef.FindAllString(s, -1) {
		if !pinnedImage.MatchString(img) {
			refs = append(refs, img)
		}
	}
	return refs
}

// walkScalars calls f on every scalar node under n: keys and values alike.
func walkScalars(n *yaml.Node, f func(*yaml.Node)) {
	if n.Kind == yaml.ScalarNode {
		f(n)
	}
	for _, c := range n.Content {
		walkScalars(c, f)
	}
}
