package tree_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/twittix/infra/internal/testenv/tree"
)

func TestWriteContentsAndModes(t *testing.T) {
	t.Parallel()
	def := defaultMode(t)
	dir := tree.Write(t, fstest.MapFS{
		"Dockerfile":       {Data: []byte("FROM scratch\n")},
		"bin/run.sh":       {Data: []byte("#!/bin/sh\n"), Mode: 0o755},
		"home/.ssh/id_key": {Data: []byte("secret"), Mode: 0o600},
		"a/b/c/deep.txt":   {Data: []byte("deep")},
		"empty":            {Mode: fs.ModeDir},
	})
	tests := []struct {
		name string
		data string
		mode fs.FileMode
	}{
		{"Dockerfile", "FROM scratch\n", def},
		{"bin/run.sh", "#!/bin/sh\n", 0o755},
		{"home/.ssh/id_key", "secret", 0o600},
		{"a/b/c/deep.txt", "deep", def},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, filepath.FromSlash(tc.name))
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(b); got != tc.data {
				t.Errorf("content = %q, want %q", got, tc.data)
			}
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Mode(); got != tc.mode {
				t.Errorf("mode = %v, want %v", got, tc.mode)
			}
		})
	}
	entries, err := os.ReadDir(filepath.Join(dir, "empty"))
	if err != nil || len(entries) != 0 {
		t.Errorf("empty directory: entries %v, error %v; want an empty directory", entries, err)
	}
}

func TestWriteGivesEachCallItsOwnDirectory(t *testing.T) {
	t.Parallel()
	files := fstest.MapFS{"f": {Data: []byte("x")}}
	a, b := tree.Write(t, files), tree.Write(t, files)
	if a == b {
		t.Fatalf("two calls returned the same directory %s", a)
	}
	if err := os.WriteFile(filepath.Join(a, "f"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(b, "f")); err != nil || string(got) != "x" {
		t.Errorf("the other tree's f = %q, %v; want x", got, err)
	}
}

func TestWriteCopiesADirectory(t *testing.T) {
	t.Parallel()
	src := tree.Write(t, fstest.MapFS{"m/main.tf": {Data: []byte("# tf")}, "run.sh": {Data: []byte("#!/bin/sh\n"), Mode: 0o750}})
	dst := tree.Write(t, os.DirFS(src))
	if got, err := os.ReadFile(filepath.Join(dst, "m", "main.tf")); err != nil || string(got) != "# tf" {
		t.Errorf("m/main.tf = %q, %v; want # tf", got, err)
	}
	if info, err := os.Stat(filepath.Join(dst, "run.sh")); err != nil || info.Mode() != 0o750 {
		t.Errorf("run.sh: %v, %v; want mode 0750 as in the source", info, err)
	}
}

// defaultMode is the mode of a file created with 0o666 under this process's umask.
func defaultMode(t *testing.T) fs.FileMode {
	t.Helper()
	p := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(p, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode()
}

func TestFiles(t *testing.T) {
	t.Parallel()
	fsys := tree.Files(map[string]string{"a/b.txt": "b", "c": ""})
	if err := fstest.TestFS(fsys, "a/b.txt", "c"); err != nil {
		t.Fatal(err)
	}
	if got, err := fs.ReadFile(fsys, "a/b.txt"); err != nil || string(got) != "b" {
		t.Errorf("a/b.txt = %q, %v; want b", got, err)
	}
	if mode := fsys["c"].Mode; mode != 0 {
		t.Errorf("c has mode %v, want the default (0)", mode)
	}
}
