// Package tree writes a file tree, given as an fs.FS (usually an fstest.MapFS), into a new
// temporary directory of a test.
package tree

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// Files is the tree of text files given as slash-separated name -> content, each of the default
// mode; parent directories are implied.
func Files(files map[string]string) fstest.MapFS {
	fsys := make(fstest.MapFS, len(files))
	for name, content := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(content)}
	}
	return fsys
}

// Write copies fsys into a new temporary directory of t, removed when the test ends, and returns
// that directory. A file whose permission bits in fsys are not zero gets exactly those (0o755 for a
// script, 0o600 for a private key); a file without any (the zero fstest.MapFile.Mode) gets
// os.CopyFS's default, 0o666 less the umask. Directories are created as os.CopyFS does, also
// for an entry of mode fs.ModeDir alone: fstest.MapFS{"dir": {Mode: fs.ModeDir}} is an empty
// directory.
func Write(t testing.TB, fsys fs.FS) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, fsys); err != nil {
		t.Fatalf("write the test tree into %s: %v", dir, err)
	}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if perm := info.Mode().Perm(); perm != 0 {
			return os.Chmod(filepath.Join(dir, filepath.FromSlash(name)), perm)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("set the modes of the test tree in %s: %v", dir, err)
	}
	return dir
}
