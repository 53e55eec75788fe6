package source

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/klauspost/pgzip"
)

// PackOptions tune Pack.
type PackOptions struct {
	// Level is the gzip compression level, 1 (fastest) to 9 (smallest); 0 means 6, gzip's default
	// (what `tar czf` uses).
	Level int
	// Concurrency is how many gzip blocks are compressed in parallel; 0 means GOMAXPROCS.
	Concurrency int
	// BlockSize is the size of a gzip block; 0 means 512 KiB. Memory use is about
	// 3 × Concurrency × BlockSize, whatever the size of the tree.
	BlockSize int
}

// PackStats describe a packed archive.
type PackStats struct {
	// Files and Dirs count the entries written (symbolic links among Files, or Dirs for links to
	// directories, as listed).
	Files, Dirs int
	// Bytes is the size of the file contents written.
	Bytes int64
	// Compressed is the size of the gzip stream.
	Compressed int64
}

// copyBufSize is the read size from each file.
const copyBufSize = 256 << 10

// Pack writes l as a gzip'd tar to w, streaming: nothing is held in memory beyond the gzip blocks in
// flight and one read buffer. Entries keep their mode and modification time, owners are 0:0 (root),
// symbolic links stay links and hard links to an already written file become tar hard links, as
// Python's tarfile (gcloud) does.
func Pack(ctx context.Context, l *Listing, w io.Writer, opts PackOptions) (st PackStats, err error) {
	cw := &countingWriter{w: w}
	gz, err := newGzip(cw, opts)
	if err != nil {
		return st, err
	}
	defer func() {
		if err != nil {
			abort(gz, cw)
		}
	}()
	tw := tar.NewWriter(gz)
	p := packer{root: l.Root, tw: tw, buf: make([]byte, copyBufSize), links: map[fileID]string{}}
	for _, d := range l.Dirs {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if err := p.dir(d); err != nil {
			return st, err
		}
		st.Dirs++
	}
	for _, f := range l.Files {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		n, err := p.file(f)
		if err != nil {
			return st, err
		}
		st.Files++
		st.Bytes += n
	}
	if err := tw.Close(); err != nil {
		return st, fmt.Errorf("failed to finish the tar stream: %w", err)
	}
	if err := gz.Close(); err != nil {
		return st, fmt.Errorf("failed to finish the gzip stream: %w", err)
	}
	st.Compressed = cw.n.Load()
	return st, nil
}

// abort stops the goroutines of a gzip writer that will not be finished, without writing more to
// the destination: pgzip's Close neither stops them after a write error nor should flush a stream
// that failed, while Reset closes its queue of blocks and waits for them.
func abort(gz *pgzip.Writer, cw *countingWriter) {
	cw.discard.Store(true)
	gz.Reset(io.Discard)
}

func newGzip(w io.Writer, opts PackOptions) (*pgzip.Writer, error) {
	level := opts.Level
	if level == 0 {
		level = 6
	}
	gz, err := pgzip.NewWriterLevel(w, level)
	if err != nil {
		return nil, fmt.Errorf("bad gzip level %d: %w", level, err)
	}
	blocks := opts.Concurrency
	if blocks <= 0 {
		blocks = runtime.GOMAXPROCS(0)
	}
	size := opts.BlockSize
	if size <= 0 {
		size = 512 << 10
	}
	if err := gz.SetConcurrency(size, blocks); err != nil {
		return nil, fmt.Errorf("bad gzip concurrency: %w", err)
	}
	return gz, nil
}

type fileID struct{ dev, ino uint64 }

type packer struct {
	root  string
	tw    *tar.Writer
	buf   []byte
	links map[fileID]string // first path written for a multiply linked file
}

func (p *packer) full(rel string) string { return filepath.Join(p.root, filepath.FromSlash(rel)) }

// dir writes a directory entry; a symbolic link to a directory is written as a link, with the mode
// of its target (as gcloud).
func (p *packer) dir(e Entry) error {
	full := p.full(e.Path)
	linfo, err := os.Lstat(full)
	if err != nil {
		return fmt.Errorf("failed to read %s: %w", full, err)
	}
	hdr := header(e.Path+"/", linfo)
	hdr.Typeflag = tar.TypeDir
	if e.Kind == Symlink {
		target, err := os.Readlink(full)
		if err != nil {
			return fmt.Errorf("failed to read the link %s: %w", full, err)
		}
		hdr.Name, hdr.Typeflag, hdr.Linkname = e.Path, tar.TypeSymlink, target
	}
	if info, err := os.Stat(full); err == nil {
		hdr.Mode = tarMode(info.Mode())
	}
	return p.write(hdr, full)
}

// file writes a regular file or a symbolic link.
func (p *packer) file(e Entry) (int64, error) {
	full := p.full(e.Path)
	if e.Kind == Symlink {
		linfo, err := os.Lstat(full)
		if err != nil {
			return 0, fmt.Errorf("failed to read %s: %w", full, err)
		}
		target, err := os.Readlink(full)
		if err != nil {
			return 0, fmt.Errorf("failed to read the link %s: %w", full, err)
		}
		hdr := header(e.Path, linfo)
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
		return 0, p.write(hdr, full)
	}
	f, err := os.Open(full)
	if err != nil {
		return 0, fmt.Errorf("failed to open %s: %w", full, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("failed to read %s: %w", full, err)
	}
	hdr := header(e.Path, info)
	hdr.Typeflag = tar.TypeReg
	if id, nlink, ok := identity(info); ok && nlink > 1 {
		if first, seen := p.links[id]; seen {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			return 0, p.write(hdr, full)
		}
		p.links[id] = e.Path
	}
	hdr.Size = info.Size()
	if err := p.write(hdr, full); err != nil {
		return 0, err
	}
	n, err := io.CopyBuffer(p.tw, io.LimitReader(f, hdr.Size), p.buf)
	if err != nil {
		return n, fmt.Errorf("failed to pack %s: %w", full, err)
	}
	if n != hdr.Size {
		return n, fmt.Errorf("failed to pack %s: it shrank from %d to %d bytes while being read", full, hdr.Size, n)
	}
	return n, nil
}

func (p *packer) write(hdr *tar.Header, full string) error {
	if err := p.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("failed to pack %s: %w", full, err)
	}
	return nil
}

// header is the common part of a tar header: name, mode, time, owners root:root.
func header(name string, info os.FileInfo) *tar.Header {
	return &tar.Header{
		Name:    strings.TrimPrefix(name, "./"),
		Mode:    tarMode(info.Mode()),
		ModTime: info.ModTime(),
		Uid:     0,
		Gid:     0,
		Uname:   "root",
		Gname:   "root",
	}
}

// tarMode is the permission part of a mode as tar stores it (0o7777 bits).
func tarMode(m os.FileMode) int64 {
	mode := int64(m.Perm())
	if m&os.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&os.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&os.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}

// identity returns the device and inode of a file and its link count, where the platform says.
func identity(info os.FileInfo) (fileID, uint64, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, 0, false
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino}, uint64(st.Nlink), true
}

// countingWriter counts what reaches w; once discard is set, it drops what it is given.
type countingWriter struct {
	w       io.Writer
	n       atomic.Int64
	discard atomic.Bool
}

func (c *countingWriter) Write(b []byte) (int, error) {
	if c.discard.Load() {
		return 0, errAborted
	}
	n, err := c.w.Write(b)
	c.n.Add(int64(n))
	return n, err
}

var errAborted = errors.New("the archive was abandoned")
