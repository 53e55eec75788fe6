package source

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestIgnoreFilesAreConfined checks the ignore file and its #!include: targets are read only as
// regular files inside the source directory, up to MaxIgnoreFileSize: a symbolic link out of it,
// a device, a FIFO or a huge file is refused before it is read.
func TestIgnoreFilesAreConfined(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	write(t, outside, "patterns", "secret-pattern\n")
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		wantErr string
	}{
		{"ignore file linked outside", func(t *testing.T, dir string) {
			symlink(t, filepath.Join(outside, "patterns"), filepath.Join(dir, ".gcloudignore"))
		}, "through a symbolic link, outside the source directory"},
		{"ignore file linked to a device", func(t *testing.T, dir string) {
			symlink(t, "/dev/zero", filepath.Join(dir, ".gcloudignore"))
		}, "outside the source directory"},
		{"ignore file is a FIFO", func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, ".gcloudignore"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "is not a regular file (a named pipe)"},
		{"ignore file too large", func(t *testing.T, dir string) {
			write(t, dir, ".gcloudignore", strings.Repeat("x\n", MaxIgnoreFileSize/2+1))
		}, "larger than 1 MiB"},
		{"include linked outside", func(t *testing.T, dir string) {
			write(t, dir, ".gcloudignore", "#!include:more.ignore\n")
			symlink(t, filepath.Join(outside, "patterns"), filepath.Join(dir, "more.ignore"))
		}, "through a symbolic link, outside the source directory"},
		{"include of a FIFO", func(t *testing.T, dir string) {
			write(t, dir, ".gcloudignore", "#!include:pipe\n")
			if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "is not a regular file (a named pipe)"},
		{"include too large", func(t *testing.T, dir string) {
			write(t, dir, ".gcloudignore", "#!include:big.ignore\n")
			write(t, dir, "big.ignore", strings.Repeat("y", MaxIgnoreFileSize+1))
		}, "larger than 1 MiB"},
		{"default rules include a .gitignore linked outside", func(t *testing.T, dir string) {
			symlink(t, filepath.Join(outside, "patterns"), filepath.Join(dir, ".gitignore"))
		}, "through a symbolic link, outside the source directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			write(t, dir, "main.go", "")
			tc.setup(t, dir)
			l, err := List(dir, ListOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("List() = %v, %v; want an error containing %q", l, err, tc.wantErr)
			}
		})
	}
}

// TestIgnoreFileLinkedInsideIsRead checks a symbolic link that stays in the source directory is
// still honoured, for the ignore file and an include.
func TestIgnoreFileLinkedInsideIsRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "rules/real.ignore", "skipped.txt\n#!include:inc.ignore\n")
	write(t, dir, "inc.ignore", "also-skipped.txt\n")
	write(t, dir, "skipped.txt", "")
	write(t, dir, "also-skipped.txt", "")
	write(t, dir, "kept.txt", "")
	symlink(t, filepath.Join("rules", "real.ignore"), filepath.Join(dir, ".gcloudignore"))
	l, err := List(dir, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(l.Paths(), ",")
	if strings.Contains(got, "skipped") || !strings.Contains(got, "kept.txt") {
		t.Errorf("paths = %s, want the skipped files left out and kept.txt in", got)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
