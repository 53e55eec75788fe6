package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twittix/infra/internal/testenv/tree"
)

func TestRealMain(t *testing.T) {
	t.Parallel()
	root := tree.Write(t, tree.Files(map[string]string{"actions/a/action.yml": "runs:\n  using: docker\n  image: docker://ghcr.io/twittix/infra:v1\n"}))
	digest := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		name, stdin      string
		args             []string
		wantOut, wantErr string
	}{
		{name: "next version prints its major tag", args: []string{"check-version", "v1.4.0"}, stdin: "v1\nv1.3.0\n", wantOut: "v1\n"},
		{name: "a version not above the latest", args: []string{"check-version", "v1.2.0"}, stdin: "v1\nv1.3.0\n", wantErr: "not above the latest release v1.3.0"},
		{name: "check-version without a version", args: []string{"check-version"}, wantErr: "usage:"},
		{name: "pin", args: []string{"pin", "-dir", root, "-version", "v1.4.0", "-digest", digest}, wantOut: "pinned actions/a/action.yml\n"},
		{name: "pin without a digest", args: []string{"pin", "-dir", root, "-version", "v1.4.0"}, wantErr: `digest "" is not an image digest`},
		{name: "pin with an unknown flag", args: []string{"pin", "-tag", "v1"}, wantErr: "flag provided but not defined: -tag"},
		{name: "no command", wantErr: "usage:"},
		{name: "unknown command", args: []string{"publish"}, wantErr: `unknown command "publish"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := realMain(tc.args, strings.NewReader(tc.stdin), &out)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("realMain(%q) = %v; want an error containing %q", tc.args, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("realMain(%q): %v", tc.args, err)
			}
			if got := out.String(); got != tc.wantOut {
				t.Errorf("realMain(%q) printed %q, want %q", tc.args, got, tc.wantOut)
			}
		})
	}
	if b, _ := os.ReadFile(filepath.Join(root, "actions", "a", "action.yml")); !strings.Contains(string(b), "image: docker://ghcr.io/twittix/infra@"+digest) {
		t.Errorf("pin did not pin the image:\n%s", b)
	}
}
