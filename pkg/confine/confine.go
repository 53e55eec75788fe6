package confine

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Root is a directory tree paths must stay in.
type Root struct {
	// Dir is the directory.
	Dir string
	// Name is how messages call it: "the workspace", "the source directory".
	Name string
	// Hint says what to do instead of a path outside it: "use a path inside the repository checkout".
	Hint string
}

// ErrOutside is wrapped by the errors of paths that lie outside their Root.
var ErrOutside = errors.New("outside the allowed directory")

type outsideError struct{ msg string }

func (e *outsideError) Error() string { return e.msg }
func (e *outsideError) Unwrap() error { return ErrOutside }

// Resolve returns raw as an absolute, clean path; a relative raw is taken from r.Dir. It refuses a
// path outside r.Dir, lexically ("../x", "/etc/x") or through a symbolic link of its longest
// existing part. The path need not exist.
func (r Root) Resolve(raw string) (string, error) {
	ws, err := filepath.Abs(r.Dir)
	if err != nil {
		return "", fmt.Errorf("cannot resolve %s %q: %w", r.Name, r.Dir, err)
	}
	p := raw
	if !filepath.IsAbs(p) {
		p = filepath.Join(ws, p)
	}
	p = filepath.Clean(p)
	if !Within(ws, p) {
		return "", &outsideError{fmt.Sprintf("%q is outside %s %s; %s", raw, r.Name, ws, r.Hint)}
	}
	// A symlink inside the tree must not lead outside it: resolve the longest existing part.
	real, err := resolveExisting(p)
	if err != nil {
		return "", fmt.Errorf("%q cannot be resolved: %w", raw, err)
	}
	realWS, err := filepath.EvalSymlinks(ws)
	if err != nil {
		realWS = ws
	}
	if !Within(realWS, real) {
		return "", &outsideError{fmt.Sprintf("%q leads to %s through a symbolic link, outside %s; %s", raw, real, r.Name, r.Hint)}
	}
	return p, nil
}

// ReadFile resolves raw as Resolve does and reads it with ReadRegular. It returns the resolved
// path with the content.
func (r Root) ReadFile(raw string, limit int64) (string, []byte, error) {
	p, err := r.Resolve(raw)
	if err != nil {
		return "", nil, err
	}
	b, err := ReadRegular(p, limit)
	return p, b, err
}

// ErrTooLarge is wrapped by the error of ReadRegular for a file over its cap.
var ErrTooLarge = errors.New("file too large")

// ReadRegular reads the file at path, refusing anything but a regular file (a device such as
// /dev/zero, a FIFO, a socket, a directory) and a file larger than limit bytes. The size is
// checked before reading, and again while reading, for files whose size is not known in advance.
func ReadRegular(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := check(path, st, limit); err != nil {
		return nil, err
	}
	// O_NONBLOCK: should the path become a FIFO after the check, opening it does not hang.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := check(path, st, limit); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %s: %w", path, Size(limit), ErrTooLarge)
	}
	return b, nil
}

func check(path string, st os.FileInfo, limit int64) error {
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%s): only regular files can be read", path, kind(st.Mode()))
	}
	if st.Size() > limit {
		return fmt.Errorf("%s is %s, larger than %s: %w", path, Size(st.Size()), Size(limit), ErrTooLarge)
	}
	return nil
}

func kind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "mode " + m.String()
}

// Size renders a byte count: "1 MiB", "500 KiB", "1300 bytes".
func Size(n int64) string {
	switch {
	case n > 0 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n > 0 && n%1024 == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// resolveExisting evaluates the symbolic links of the longest existing prefix of p and appends
// the rest.
func resolveExisting(p string) (string, error) {
	rest := ""
	for {
		if _, err := os.Lstat(p); err == nil {
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				return "", err
			}
			return filepath.Join(real, rest), nil
		}
		parent := filepath.Dir(p)
		if parent == p {
			return filepath.Join(p, rest), nil
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

// Within reports whether p lies in dir (or is dir); both are absolute and clean.
func Within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
