package source

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// tarEntry is what a test checks of each tar header.
type tarEntry struct {
	Name     string
	Type     byte
	Mode     int64
	Owner    string // uid:gid uname:gname
	Linkname string
	Size     int64
}

// readTarball lists a .tgz with the standard library's readers, and returns the contents of files.
func readTarball(t *testing.T, b []byte) ([]tarEntry, map[string]string) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var entries []tarEntry
	contents := map[string]string{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, tarEntry{
			Name: h.Name, Type: h.Typeflag, Mode: h.Mode, Linkname: h.Linkname, Size: h.Size,
			Owner: fmt.Sprintf("%d:%d %s:%s", h.Uid, h.Gid, h.Uname, h.Gname),
		})
		if h.Typeflag == tar.TypeReg {
			c, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			contents[h.Name] = string(c)
		}
	}
	return entries, contents
}

func TestPackTrickyTree(t *testing.T) {
	t.Parallel()
	dir := trickyTree(t)
	l, err := List(dir, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	st, err := Pack(context.Background(), l, &buf, PackOptions{Level: 1, Concurrency: 2, BlockSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	entries, contents := readTarball(t, buf.Bytes())

	const root = "0:0 root:root"
	d := func(name string, mode int64) tarEntry {
		return tarEntry{Name: name + "/", Type: tar.TypeDir, Mode: mode, Owner: root}
	}
	f := func(name string) tarEntry {
		return tarEntry{Name: name, Type: tar.TypeReg, Mode: 0o644, Owner: root, Size: int64(len("content of " + name + "\n"))}
	}
	want := []tarEntry{
		d("cmd", 0o755), d("docs", 0o755), d("empty", 0o750),
		{Name: "link-to-sub", Type: tar.TypeSymlink, Mode: 0o755, Owner: root, Linkname: "sub"},
		d("sub", 0o755), d("cmd/bin", 0o755), d("docs/a", 0o755), d("sub/nested", 0o755),
		{Name: ".gcloudignore", Type: tar.TypeReg, Mode: 0o644, Owner: root, Size: sizeOf(t, dir, ".gcloudignore")},
		{Name: ".gitignore", Type: tar.TypeReg, Mode: 0o644, Owner: root, Size: 6},
		f("Dockerfile"), f("a.tmp"),
		{Name: "exec.sh", Type: tar.TypeReg, Mode: 0o755, Owner: root, Size: sizeOf(t, dir, "exec.sh")},
		{Name: "extra.ignore", Type: tar.TypeReg, Mode: 0o644, Owner: root, Size: sizeOf(t, dir, "extra.ignore")},
		f("go.mod"), f("keep.log"),
		{Name: "link-to-main", Type: tar.TypeSymlink, Mode: 0o777, Owner: root, Linkname: "main.go"},
		f("main.go"),
		{Name: "nested.ignore", Type: tar.TypeReg, Mode: 0o644, Owner: root, Size: sizeOf(t, dir, "nested.ignore")},
		f("space"), f("cmd/bin/x"), f("docs/readme.md"), f("docs/a/draft-final.md"),
		f("sub/keep.log"), f("sub/secret.txt"), f("sub/tmp"),
		{Name: "sub/nested/.gitignore", Type: tar.TypeReg, Mode: 0o644, Owner: root, Size: 5},
		f("sub/nested/x.go"),
	}
	if diff := cmp.Diff(want, entries); diff != "" {
		t.Errorf("tarball mismatch (-want +got):\n%s", diff)
	}
	if got, want := contents["main.go"], "content of main.go\n"; got != want {
		t.Errorf("main.go = %q, want %q", got, want)
	}
	if st.Files != len(l.Files) || st.Dirs != len(l.Dirs) || st.Bytes != l.Bytes || st.Compressed != int64(buf.Len()) {
		t.Errorf("stats = %+v; listing has %d files, %d dirs, %d bytes; archive is %d bytes", st, len(l.Files), len(l.Dirs), l.Bytes, buf.Len())
	}
}

func TestPackHardLinksAndLargeFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := make([]byte, 3<<20+17) // spans several gzip blocks
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	must(t, os.WriteFile(filepath.Join(dir, "a.bin"), big, 0o600))
	must(t, os.Link(filepath.Join(dir, "a.bin"), filepath.Join(dir, "b.bin")))
	l, err := List(dir, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := Pack(context.Background(), l, &buf, PackOptions{BlockSize: 256 << 10}); err != nil {
		t.Fatal(err)
	}
	entries, contents := readTarball(t, buf.Bytes())
	want := []tarEntry{
		{Name: "a.bin", Type: tar.TypeReg, Mode: 0o600, Owner: "0:0 root:root", Size: int64(len(big))},
		{Name: "b.bin", Type: tar.TypeLink, Mode: 0o600, Owner: "0:0 root:root", Linkname: "a.bin"},
	}
	if diff := cmp.Diff(want, entries); diff != "" {
		t.Errorf("tarball mismatch (-want +got):\n%s", diff)
	}
	if !bytes.Equal([]byte(contents["a.bin"]), big) {
		t.Error("a.bin content differs after a round trip")
	}
}

func TestPackStopsWithContext(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "a", "x")
	l, err := List(dir, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Pack(ctx, l, io.Discard, PackOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Pack(cancelled) = %v, want context.Canceled", err)
	}
}

func TestPackWriteError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := make([]byte, 4<<20)
	rand.Read(big)
	must(t, os.WriteFile(filepath.Join(dir, "big"), big, 0o644))
	l, err := List(dir, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("upload refused")
	_, err = Pack(context.Background(), l, failingWriter{boom}, PackOptions{BlockSize: 128 << 10})
	if !errors.Is(err, boom) {
		t.Errorf("Pack() = %v, want the writer's error", err)
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

func sizeOf(t *testing.T, dir, name string) int64 {
	t.Helper()
	info, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// TestPackErrorsStopTheCompressors checks a Pack that fails leaves no goroutine behind (pgzip
// compresses and writes in goroutines of its own): a file that vanishes after the listing, a
// destination that fails, a context cancelled mid-way. It runs alone (not in parallel) to count
// the goroutines of the process.
func TestPackErrorsStopTheCompressors(t *testing.T) {
	dir := t.TempDir()
	big := make([]byte, 1<<20) // several blocks in flight
	rand.Read(big)
	must(t, os.WriteFile(filepath.Join(dir, "a.bin"), big, 0o644))
	write(t, dir, "b.txt", "gone before it is packed")
	write(t, dir, "c.txt", "last")
	l, err := List(dir, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	opts := PackOptions{BlockSize: 64 << 10, Concurrency: 4}
	vanished := *l
	vanished.Root = t.TempDir() // the same listing, over a copy that loses b.txt
	must(t, os.WriteFile(filepath.Join(vanished.Root, "a.bin"), big, 0o644))

	before := runtime.NumGoroutine()
	for range 3 {
		if _, err := Pack(context.Background(), &vanished, io.Discard, opts); err == nil || !strings.Contains(err.Error(), "b.txt") {
			t.Errorf("Pack(file vanished) = %v, want an error naming b.txt", err)
		}
		boom := errors.New("upload refused")
		if _, err := Pack(context.Background(), l, &failAfter{n: 100 << 10, err: boom}, opts); !errors.Is(err, boom) {
			t.Errorf("Pack(writer fails) = %v, want the writer's error", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		if _, err := Pack(ctx, l, &cancelOnWrite{cancel: cancel}, opts); !errors.Is(err, context.Canceled) {
			t.Errorf("Pack(cancelled mid-way) = %v, want context.Canceled", err)
		}
	}
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(3 * time.Second); after > before && time.Now().Before(deadline); after = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	if after > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before, %d after failed Packs: they leak\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

// failAfter accepts n bytes, then fails with err.
type failAfter struct {
	n   int
	err error
}

func (f *failAfter) Write(b []byte) (int, error) {
	if f.n < len(b) {
		return 0, f.err
	}
	f.n -= len(b)
	return len(b), nil
}

// cancelOnWrite cancels a context as soon as data is written.
type cancelOnWrite struct{ cancel context.CancelFunc }

func (c *cancelOnWrite) Write(b []byte) (int, error) {
	c.cancel()
	return len(b), nil
}
