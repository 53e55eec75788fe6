package confine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	ws, outside := t.TempDir(), t.TempDir()
	write(t, filepath.Join(ws, "sub", "a.txt"), "a")
	write(t, filepath.Join(outside, "secret"), "s")
	if err := os.Symlink(outside, filepath.Join(ws, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(ws, "sub", "a.txt"), filepath.Join(ws, "inside")); err != nil {
		t.Fatal(err)
	}
	root := Root{Dir: ws, Name: "the workspace", Hint: "use a path inside the checkout"}
	tests := []struct {
		raw, want, wantErr string
	}{
		{raw: "sub/a.txt", want: filepath.Join(ws, "sub", "a.txt")},
		{raw: filepath.Join(ws, "sub", "..", "sub", "a.txt"), want: filepath.Join(ws, "sub", "a.txt")},
		{raw: "inside", want: filepath.Join(ws, "inside")},
		{raw: "not/yet/there", want: filepath.Join(ws, "not", "yet", "there")},
		{raw: "../x", wantErr: `"../x" is outside the workspace ` + ws + `; use a path inside the checkout`},
		{raw: "/proc/self/environ", wantErr: `"/proc/self/environ" is outside the workspace`},
		{raw: "escape/secret", wantErr: `"escape/secret" leads to ` + filepath.Join(outside, "secret") + ` through a symbolic link, outside the workspace; use a path inside the checkout`},
		{raw: "escape/missing/deeper", wantErr: "through a symbolic link"},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			t.Parallel()
			got, err := root.Resolve(tc.raw)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrOutside) {
					t.Fatalf("Resolve(%q) = %q, %v; want an ErrOutside error containing %q", tc.raw, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Resolve(%q) = %q, %v; want %q", tc.raw, got, err, tc.want)
			}
		})
	}
}

func TestReadRegular(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "small"), "12345")
	write(t, filepath.Join(dir, "big"), strings.Repeat("x", 2048))
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		limit      int64
		want       string
		wantErr    string
		tooLarge   bool
	}{
		{name: "regular file", path: filepath.Join(dir, "small"), limit: 5, want: "12345"},
		{name: "over the cap", path: filepath.Join(dir, "big"), limit: 1024, wantErr: "is 2 KiB, larger than 1 KiB", tooLarge: true},
		{name: "device", path: "/dev/zero", limit: 1024, wantErr: "/dev/zero is not a regular file (a character device)"},
		{name: "fifo", path: fifo, limit: 1024, wantErr: "is not a regular file (a named pipe)"},
		{name: "directory", path: dir, limit: 1024, wantErr: "is not a regular file (a directory)"},
		// /proc files say they are empty regular files: the cap holds while reading.
		{name: "proc file larger than it says", path: "/proc/self/maps", limit: 10, wantErr: "larger than 10 bytes", tooLarge: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadRegular(tc.path, tc.limit)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ReadRegular(%s) = %d bytes, %v; want an error containing %q", tc.path, len(got), err, tc.wantErr)
				}
				if errors.Is(err, ErrTooLarge) != tc.tooLarge {
					t.Errorf("errors.Is(%v, ErrTooLarge) = %v, want %v", err, !tc.tooLarge, tc.tooLarge)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("ReadRegular(%s) = %q, %v; want %q", tc.path, got, err, tc.want)
			}
		})
	}
}

func TestRootReadFileRefusesSymlinkToDevice(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	if err := os.Symlink("/dev/zero", filepath.Join(ws, "zero")); err != nil {
		t.Fatal(err)
	}
	_, b, err := Root{Dir: ws, Name: "the workspace"}.ReadFile("zero", 1<<20)
	if !errors.Is(err, ErrOutside) {
		t.Fatalf("ReadFile(link to /dev/zero) = %d bytes, %v; want ErrOutside", len(b), err)
	}
}
