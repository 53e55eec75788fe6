package source

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// Kind is the type of an uploaded entry.
type Kind uint8

// The kinds of entries in an upload.
const (
	File    Kind = iota // a regular file
	Dir                 // a directory
	Symlink             // a symbolic link (to a file or a directory), kept as a link
)

func (k Kind) String() string {
	switch k {
	case Dir:
		return "dir"
	case Symlink:
		return "symlink"
	}
	return "file"
}

// Entry is one path of the upload.
type Entry struct {
	// Path is relative to the uploaded directory, "/"-separated.
	Path string
	Kind Kind
	// Size is the size of a regular file when listed.
	Size int64
}

// Skip is a path left out for a reason other than the ignore rules.
type Skip struct {
	Path   string
	Reason string
}

// Listing is what an upload holds, in gcloud's order: the directories in walk order, then the files
// in walk order. The walk is top-down, depth-first, with the entries of each directory sorted by
// name, so the order is stable.
type Listing struct {
	// Root is the uploaded directory.
	Root string
	// Dirs are the included directories, symbolic links to directories among them (as gcloud).
	Dirs []Entry
	// Files are the included files and symbolic links to files.
	Files []Entry
	// Rules are the ignore rules applied.
	Rules *Rules
	// Ignored counts the paths the rules left out (an ignored directory counts once).
	Ignored int
	// Skipped are the paths left out for other reasons: credentials files written by
	// google-github-actions/auth, broken symbolic links, sockets and devices.
	Skipped []Skip
	// Bytes is the total size of the included regular files.
	Bytes int64
}

// ListOptions tune List.
type ListOptions struct {
	// IgnoreFile replaces .gcloudignore as the name of the ignore file (gcloud's --ignore-file).
	IgnoreFile string
}

// credentialsFilePattern matches the credentials files google-github-actions/auth writes into the
// workspace; they are never uploaded.
const credentialsFilePattern = "gha-creds-*.json"

// List walks dir and returns what an upload of it holds, following gcloud's rules (see RulesFor).
func List(dir string, opts ListOptions) (*Listing, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("failed to read the source directory: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("the source %s is not a directory", dir)
	}
	rules, err := RulesFor(dir, opts.IgnoreFile)
	if err != nil {
		return nil, err
	}
	l := &Listing{Root: dir, Rules: rules}
	if err := l.walk(""); err != nil {
		return nil, err
	}
	return l, nil
}

// walk lists the directory rel like one step of Python's os.walk(followlinks=False): its files
// first, then its subdirectories, then it descends into the included subdirectories that are not
// symbolic links.
func (l *Listing) walk(rel string) error {
	full := filepath.Join(l.Root, filepath.FromSlash(rel))
	entries, err := os.ReadDir(full) // sorted by name
	if err != nil {
		return fmt.Errorf("failed to list %s: %w", full, err)
	}
	var dirs []Entry
	for _, de := range entries {
		p := path.Join(rel, de.Name())
		kind, isDir, size, skip := classify(filepath.Join(full, de.Name()), de)
		if skip != "" {
			l.Skipped = append(l.Skipped, Skip{Path: p, Reason: skip})
			continue
		}
		if isDir {
			dirs = append(dirs, Entry{Path: p, Kind: kind})
			continue
		}
		if ok, _ := path.Match(credentialsFilePattern, de.Name()); ok {
			l.Skipped = append(l.Skipped, Skip{Path: p, Reason: "credentials written by google-github-actions/auth are never uploaded"})
			continue
		}
		if !l.Rules.Included(p, false) {
			l.Ignored++
			continue
		}
		l.Files = append(l.Files, Entry{Path: p, Kind: kind, Size: size})
		l.Bytes += size
	}
	var descend []string
	for _, d := range dirs {
		if !l.Rules.Included(d.Path, true) {
			l.Ignored++
			continue
		}
		l.Dirs = append(l.Dirs, d)
		if d.Kind == Dir {
			descend = append(descend, d.Path)
		}
	}
	for _, d := range descend {
		if err := l.walk(d); err != nil {
			return err
		}
	}
	return nil
}

// classify tells what de is: its kind, whether gcloud treats it as a directory (symbolic links to
// directories are), the size of a regular file, or why it is skipped.
func classify(full string, de fs.DirEntry) (kind Kind, isDir bool, size int64, skip string) {
	switch t := de.Type(); {
	case t.IsDir():
		return Dir, true, 0, ""
	case t&fs.ModeSymlink != 0:
		target, err := os.Stat(full)
		if err != nil {
			return Symlink, false, 0, "broken symbolic link"
		}
		return Symlink, target.IsDir(), 0, ""
	case t.IsRegular():
		info, err := de.Info()
		if err != nil {
			return File, false, 0, fmt.Sprintf("cannot be read: %v", err)
		}
		return File, false, info.Size(), ""
	default:
		return File, false, 0, fmt.Sprintf("not a regular file (%v)", t)
	}
}

// Paths returns the paths of the listed files (symbolic links included), in upload order: the
// files `gcloud builds submit` uploads. `gcloud meta list-files-for-upload` prints the same but
// for links to directories, whose files it lists, and broken links, on which it fails.
func (l *Listing) Paths() []string {
	paths := make([]string, 0, len(l.Files))
	for _, f := range l.Files {
		paths = append(paths, f.Path)
	}
	return paths
}
