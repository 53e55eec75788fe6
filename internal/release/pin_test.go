package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twittix/infra/internal/testenv/tree"
)

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

const (
	actionYML = "name: a\nruns:\n  using: docker\n  image: docker://ghcr.io/twittix/infra:v1\n  args: [a]\n"
	reusable  = `on:
  workflow_call:
# Callers use: uses: twittix/infra/.github/workflows/reuse.yml@v1
jobs:
  nested:
    uses: twittix/infra/.github/workflows/other.yml@main
  steps:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: twittix/infra/actions/a@v1
      - id: quoted
        uses: "twittix/infra/actions/b@0123456"
      - uses: twittix/infra@v1
      - uses: docker://ghcr.io/twittix/infra:v1
`
	pinnedReusable = `on:
  workflow_call:
# Callers use: uses: twittix/infra/.github/workflows/reuse.yml@v1
jobs:
  nested:
    uses: twittix/infra/.github/workflows/other.yml@v9.8.7
  steps:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: twittix/infra/actions/a@v9.8.7
      - id: quoted
        uses: "twittix/infra/actions/b@v9.8.7"
      - uses: twittix/infra@v9.8.7
      - uses: docker://ghcr.io/twittix/infra@` + testDigest + `
`
	// ci.yml is not reusable: it runs in this repository only, and Pin leaves it alone.
	ciYML = "on: [push, pull_request]\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: twittix/infra/actions/a@main\n"
)

func TestPinRewritesEveryReference(t *testing.T) {
	t.Parallel()
	root := tree.Write(t, tree.Files(map[string]string{
		"actions/a/action.yml":           actionYML,
		"actions/b/action.yml":           strings.Replace(actionYML, ":v1", "@sha256:"+strings.Repeat("f", 64), 1),
		".github/workflows/reuse.yml":    reusable,
		".github/workflows/listed.yml":   "on: [push, workflow_call]\njobs:\n  x:\n    uses: twittix/infra/.github/workflows/reuse.yml@main\n",
		".github/workflows/scalar.yml":   "on: workflow_call\njobs:\n  x:\n    uses: twittix/infra/.github/workflows/reuse.yml@v1\n",
		".github/workflows/ci.yml":       ciYML,
		".github/workflows/dispatch.yml": "on:\n  workflow_dispatch:\njobs:\n  x:\n    uses: twittix/infra/.github/workflows/reuse.yml@v1\n",
	}))
	changed, err := Pin(root, "v9.8.7", testDigest)
	if err != nil {
		t.Fatal(err)
	}
	wantChanged := []string{"actions/a/action.yml", "actions/b/action.yml", ".github/workflows/listed.yml", ".github/workflows/reuse.yml", ".github/workflows/scalar.yml"}
	if diff := cmp.Diff(wantChanged, changed); diff != "" {
		t.Errorf("changed files (-want +got):\n%s", diff)
	}
	want := map[string]string{
		"actions/a/action.yml":           strings.Replace(actionYML, ":v1", "@"+testDigest, 1),
		"actions/b/action.yml":           strings.Replace(actionYML, ":v1", "@"+testDigest, 1),
		".github/workflows/reuse.yml":    pinnedReusable,
		".github/workflows/listed.yml":   "on: [push, workflow_call]\njobs:\n  x:\n    uses: twittix/infra/.github/workflows/reuse.yml@v9.8.7\n",
		".github/workflows/scalar.yml":   "on: workflow_call\njobs:\n  x:\n    uses: twittix/infra/.github/workflows/reuse.yml@v9.8.7\n",
		".github/workflows/ci.yml":       ciYML,
		".github/workflows/dispatch.yml": "on:\n  workflow_dispatch:\njobs:\n  x:\n    uses: twittix/infra/.github/workflows/reuse.yml@v1\n",
	}
	for name, content := range want {
		got, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(content, string(got)); diff != "" {
			t.Errorf("%s after Pin (-want +got):\n%s", name, diff)
		}
	}
	// Pinning twice changes nothing: the release commit is a fixed point.
	if changed, err := Pin(root, "v9.8.7", testDigest); err != nil || len(changed) != 0 {
		t.Errorf("a second Pin changed %q, err %v; want nothing", changed, err)
	}
}

func TestPinRefusesALeftover(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, step, want string
	}{
		{"the image in a script", "      - run: docker run --rm ghcr.io/twittix/infra:v1 version\n",
			"reuse.yml:16: ghcr.io/twittix/infra:v1 is a mutable reference"},
		{"the image without a tag", "      - run: docker pull ghcr.io/twittix/infra\n",
			"reuse.yml:16: ghcr.io/twittix/infra is a mutable reference"},
		{"an action in an input", "      - uses: actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea # v7.0.1\n        with:\n          script: run('twittix/infra/actions/a@main')\n",
			"reuse.yml:18: twittix/infra/actions/a@main is a mutable reference"},
		{"a workflow by branch in a script", "      - run: gh workflow run twittix/infra/.github/workflows/other.yml@v1\n",
			"twittix/infra/.github/workflows/other.yml@v1 is a mutable reference"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tree.Write(t, tree.Files(map[string]string{
				"actions/a/action.yml":        actionYML,
				".github/workflows/reuse.yml": reusable + tc.step,
			}))
			_, err := Pin(root, "v9.8.7", testDigest)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Pin = %v; want an error containing %q", err, tc.want)
			}
			if strings.Count(err.Error(), "mutable reference") != 1 {
				t.Errorf("Pin reported more than the leftover:\n%v", err)
			}
		})
	}
}

func TestPinRefusesBadInput(t *testing.T) {
	t.Parallel()
	root := tree.Write(t, tree.Files(map[string]string{"actions/a/action.yml": actionYML}))
	_, err := Pin(root, "v1", "latest")
	for _, want := range []string{`version "v1" does not look like v1.2.3`, `digest "latest" is not an image digest`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Pin = %v; want an error containing %q (every input error at once)", err, want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(root, "actions/a/action.yml")); string(b) != actionYML {
		t.Errorf("Pin changed the tree despite bad input:\n%s", b)
	}

	if _, err := Pin(t.TempDir(), "v1.0.0", testDigest); err == nil || !strings.Contains(err.Error(), "no actions/*/action.yml") {
		t.Errorf("Pin of an empty tree = %v; want an error saying there is no action", err)
	}
	noImage := tree.Write(t, tree.Files(map[string]string{"actions/a/action.yml": "name: a\nruns:\n  using: docker\n  image: Dockerfile\n"}))
	if _, err := Pin(noImage, "v1.0.0", testDigest); err == nil || !strings.Contains(err.Error(), "actions/a/action.yml: no `image: docker://ghcr.io/twittix/infra...` line to pin") {
		t.Errorf("Pin of an action that builds its Dockerfile = %v; want an error naming it", err)
	}
}

func TestMutableRefs(t *testing.T) {
	t.Parallel()
	sha := strings.Repeat("a", 40)
	tests := []struct {
		in   string
		want []string
	}{
		{"twittix/infra/actions/a@v2.0.0", nil},
		{"twittix/infra/actions/a@" + sha, nil},
		{"twittix/infra/actions/a@" + sha[:12], []string{"twittix/infra/actions/a@" + sha[:12]}},
		{"twittix/infra/actions/a@v2", []string{"twittix/infra/actions/a@v2"}},
		{"x twittix/infra@main y", []string{"twittix/infra@main"}},
		{"docker://ghcr.io/twittix/infra@" + testDigest, nil},
		{"ghcr.io/twittix/infra:v2.0.0@" + testDigest, nil},
		{"ghcr.io/twittix/infra:v2.0.0", []string{"ghcr.io/twittix/infra:v2.0.0"}},
		{"https://github.com/twittix/infra/blob/main/README.md", nil},
		{"-X github.com/twittix/infra/pkg/action.Version=v1", nil},
		{"myorg/twittix/infra@v1", nil}, // another repository
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, MutableRefs(tc.in, "v2.0.0")); diff != "" {
			t.Errorf("MutableRefs(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}
