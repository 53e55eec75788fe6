package source

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// trickyTree builds a tree with a .gcloudignore using negations, directory patterns, anchors, "**",
// escapes, an include (whose own include is not honoured), a nested .gitignore (never read by
// gcloud), symbolic links, a credentials file and an empty directory.
func trickyTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, ".gcloudignore", `# Ignore the usual suspects
.git
#!include:extra.ignore
*.log
!keep.log
/secret.txt
tmp/
docs/**/draft*
!docs/**/draft-final.md
vendor
!vendor/keep.go
\#hash.txt
space\ 
`)
	write(t, dir, "extra.ignore", "coverage.out\n#!include:nested.ignore\n/bin/\n")
	write(t, dir, "nested.ignore", "main.go\n")
	write(t, dir, ".gitignore", "*.tmp\n")
	for _, f := range []string{
		".git/HEAD", ".git/config", "main.go", "go.mod", "Dockerfile", "a.tmp",
		"keep.log", "app.log", "sub/keep.log", "sub/app.log", "secret.txt", "sub/secret.txt",
		"tmp/x", "sub/tmp", "docs/readme.md", "docs/draft0.md", "docs/a/draft1.md", "docs/a/draft-final.md",
		"vendor/keep.go", "#hash.txt", "space ", "space", "coverage.out", "bin/tool", "cmd/bin/x",
		"gha-creds-0123abcd.json", "sub/nested/x.go",
	} {
		write(t, dir, f, "content of "+f+"\n")
	}
	write(t, dir, "sub/nested/.gitignore", "*.go\n")
	write(t, dir, "exec.sh", "#!/bin/sh\necho hi\n")
	must(t, os.Chmod(filepath.Join(dir, "exec.sh"), 0o755))
	must(t, os.Mkdir(filepath.Join(dir, "empty"), 0o750))
	must(t, os.Symlink("main.go", filepath.Join(dir, "link-to-main")))
	must(t, os.Symlink("sub", filepath.Join(dir, "link-to-sub")))
	must(t, os.Symlink("does-not-exist", filepath.Join(dir, "broken")))
	return dir
}

func TestListTrickyGcloudignore(t *testing.T) {
	t.Parallel()
	l, err := List(trickyTree(t), ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantDirs := []Entry{
		{Path: "cmd", Kind: Dir}, {Path: "docs", Kind: Dir}, {Path: "empty", Kind: Dir},
		{Path: "link-to-sub", Kind: Symlink}, {Path: "sub", Kind: Dir},
		{Path: "cmd/bin", Kind: Dir}, {Path: "docs/a", Kind: Dir}, {Path: "sub/nested", Kind: Dir},
	}
	if diff := cmp.Diff(wantDirs, l.Dirs); diff != "" {
		t.Errorf("dirs mismatch (-want +got):\n%s", diff)
	}
	wantFiles := []string{
		".gcloudignore", ".gitignore", "Dockerfile", "a.tmp", "exec.sh", "extra.ignore", "go.mod",
		"keep.log", "link-to-main", "main.go", "nested.ignore", "space",
		"cmd/bin/x",
		"docs/readme.md",
		"docs/a/draft-final.md",
		"sub/keep.log", "sub/secret.txt", "sub/tmp",
		"sub/nested/.gitignore", "sub/nested/x.go",
	}
	if diff := cmp.Diff(wantFiles, l.Paths()); diff != "" {
		t.Errorf("files mismatch (-want +got):\n%s", diff)
	}
	wantSkipped := []Skip{
		{Path: "broken", Reason: "broken symbolic link"},
		{Path: "gha-creds-0123abcd.json", Reason: "credentials written by google-github-actions/auth are never uploaded"},
	}
	if diff := cmp.Diff(wantSkipped, l.Skipped); diff != "" {
		t.Errorf("skipped mismatch (-want +got):\n%s", diff)
	}
	if l.Rules.Source != ".gcloudignore" {
		t.Errorf("rules source = %q", l.Rules.Source)
	}
}

func TestListWithoutGcloudignore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		files      map[string]string
		gitDir     bool
		wantFiles  []string
		wantSource string
	}{
		{
			// The default rules ignore ".gitignore" at any depth, and never read nested ones.
			name:   "git repository: .gitignore included, nested .gitignore not read",
			gitDir: true,
			files: map[string]string{
				".gitignore": "*.tmp\n/dist/\n!keep.tmp\n", "a.tmp": "", "keep.tmp": "", "main.go": "",
				"dist/app": "", "sub/dist/app": "", "sub/b.tmp": "", "sub/.gitignore": "*.go\n", "sub/y.go": "",
			},
			wantFiles:  []string{"keep.tmp", "main.go", "sub/y.go", "sub/dist/app"},
			wantSource: "default (git repository)",
		},
		{
			name:       "git directory without .gitignore",
			gitDir:     true,
			files:      map[string]string{"main.go": "", "x.log": ""},
			wantFiles:  []string{"main.go", "x.log"},
			wantSource: "default (git repository)",
		},
		{
			name:       ".gitignore without .git counts as a repository",
			files:      map[string]string{".gitignore": "*.log\n", "main.go": "", "x.log": ""},
			wantFiles:  []string{"main.go"},
			wantSource: "default (git repository)",
		},
		{
			name:       "outside a git repository everything goes",
			files:      map[string]string{".env": "", "x.log": "", "sub/.gitignore": "*\n", "sub/z": ""},
			wantFiles:  []string{".env", "x.log", "sub/.gitignore", "sub/z"},
			wantSource: "none",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, content := range tc.files {
				write(t, dir, name, content)
			}
			if tc.gitDir {
				write(t, dir, ".git/HEAD", "ref: refs/heads/main\n")
			}
			l, err := List(dir, ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantFiles, l.Paths()); diff != "" {
				t.Errorf("files mismatch (-want +got):\n%s", diff)
			}
			if l.Rules.Source != tc.wantSource {
				t.Errorf("rules source = %q, want %q", l.Rules.Source, tc.wantSource)
			}
		})
	}
}

func TestListIgnoreFileOption(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, ".gcloudignore", "*.go\n")
	write(t, dir, "ci.ignore", "*.md\n")
	write(t, dir, "main.go", "")
	write(t, dir, "README.md", "")
	l, err := List(dir, ListOptions{IgnoreFile: "ci.ignore"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".gcloudignore", "ci.ignore", "main.go"}
	if diff := cmp.Diff(want, l.Paths()); diff != "" {
		t.Errorf("files mismatch (-want +got):\n%s", diff)
	}
}

func TestListErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "file", "")
	if _, err := List(filepath.Join(dir, "missing"), ListOptions{}); err == nil {
		t.Error("List(missing dir) succeeded")
	}
	if _, err := List(filepath.Join(dir, "file"), ListOptions{}); err == nil {
		t.Error("List(a file) succeeded")
	}
	write(t, dir, "bad/.gcloudignore", "#!include:../x\n")
	if _, err := List(filepath.Join(dir, "bad"), ListOptions{}); err == nil {
		t.Error("List(include outside the directory) succeeded")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
