package source

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/twittix/infra/pkg/confine"
)

// IgnoreFileName is the name of the ignore file gcloud reads at the top of the uploaded directory.
const IgnoreFileName = ".gcloudignore"

// DefaultIgnore is what gcloud uses when the directory has no .gcloudignore but has a .git or a
// .gitignore (gcloud's DEFAULT_IGNORE_FILE); "#!include:.gitignore" is appended when .gitignore
// exists.
const DefaultIgnore = `# This file specifies files that are *not* uploaded to Google Cloud
# using gcloud. It follows the same syntax as .gitignore, with the addition of
# "#!include" directives (which insert the entries of the given .gitignore-style
# file at that point).
#
# For more information, run:
#   $ gcloud topic gcloudignore
#
.gcloudignore
# If you would like to upload your .git directory, .gitignore file or files
# from your .gitignore file, remove the corresponding line
# below:
.git
.gitignore
`

const includeDirective = "!include:"

// MaxIgnoreFileSize caps the ignore file and each file it includes; they are read only when they
// are regular files inside the source directory (symbolic links resolved).
const MaxIgnoreFileSize = 1 << 20

// sourceRoot is the directory the ignore file and its includes must stay in.
func sourceRoot(dir string) confine.Root {
	return confine.Root{Dir: dir, Name: "the source directory",
		Hint: "keep the ignore file and the files it includes in the source directory, not behind a symbolic link"}
}

// Pattern is one line of an ignore file, parsed as gcloud does.
type Pattern struct {
	parts     []string // the glob split on "/"
	negated   bool     // line started with "!"
	mustBeDir bool     // line ended with "/"
	line      string   // the original line, for messages
}

// String returns the line the pattern was parsed from.
func (p Pattern) String() string { return p.line }

var (
	endsInOddBackslashes = regexp.MustCompile(`(^|[^\\])\\(\\\\)*$`)
	escapedChar          = regexp.MustCompile(`\\([^\\])`)
)

// ParsePattern parses one line that is not a comment. ok is false for lines gcloud skips: blank
// lines, lines starting with "#", lines ending in an odd number of backslashes.
func ParsePattern(line string) (p Pattern, ok bool) {
	p.line = line
	if strings.HasPrefix(line, "#") {
		return p, false
	}
	if rest, found := strings.CutPrefix(line, "!"); found {
		line, p.negated = rest, true
	}
	if rest, found := strings.CutSuffix(line, "/"); found {
		line, p.mustBeDir = rest, true
	}
	line = handleSpaces(line)
	if endsInOddBackslashes.MatchString(line) {
		return p, false
	}
	line = strings.ReplaceAll(escapedChar.ReplaceAllString(line, "$1"), `\\`, `\`)
	if line == "" {
		return p, false
	}
	p.parts = strings.Split(line, "/")
	return p, true
}

// handleSpaces strips trailing spaces that are not escaped by a backslash, then unescapes "\ ".
func handleSpaces(line string) string {
	// Tokens: a backslash and the character after it, or any other single character.
	var toks []string
	for i := 0; i < len(line); {
		if line[i] == '\\' && i+1 < len(line) {
			_, size := decodeRune(line[i+1:])
			toks = append(toks, line[i:i+1+size])
			i += 1 + size
			continue
		}
		_, size := decodeRune(line[i:])
		toks = append(toks, line[i:i+size])
		i += size
	}
	end := len(toks)
	for end > 0 && toks[end-1] == " " {
		end--
	}
	return strings.ReplaceAll(strings.Join(toks[:end], ""), `\ `, " ")
}

// Matches reports whether the pattern matches path (relative, "/"-separated); isDir says whether
// path is a directory. A negated pattern matches the same paths; the caller looks at whether it is negated.
func (p Pattern) Matches(path string, isDir bool) bool {
	if p.mustBeDir && !isDir {
		return false
	}
	return matchParts(p.parts, path, false)
}

// matchParts is gcloud's right-to-left glob match: the last pattern part must match the last path
// component, and the remaining parts the remaining path. A pattern without a leading "/" thus
// matches at any depth; "**" matches any number of components, anchored at the root.
func matchParts(parts []string, path string, pathIsNone bool) bool {
	if len(parts) == 0 {
		return true
	}
	if pathIsNone {
		return false // distinguishes "*" (matches the root "") from "/*"
	}
	last, rest := parts[len(parts)-1], parts[:len(parts)-1]
	remaining, component := splitPath(path)
	remainingIsNone := component == ""
	if last == "**" {
		if len(rest) == 0 || rest[0] != "" {
			rest = append([]string{""}, rest...)
		}
		for _, prefix := range pathPrefixes(path) {
			if matchParts(rest, prefix, false) {
				return true
			}
		}
		return false
	}
	// A leading "*" must not match several directories ("*/bar" matches "foo/bar", not
	// "foo/qux/bar"). gcloud checks the length of the remaining path for this, so a one-character
	// directory name slips through; that quirk is kept, counting characters as Python does (an
	// undecodable byte is one character, as in gcloud's surrogate-escaped file names).
	if last == "*" && len(rest) == 0 && !remainingIsNone && utf8.RuneCountInString(remaining) > 1 {
		return false
	}
	if !fnmatch(component, last) {
		return false
	}
	return matchParts(rest, remaining, remainingIsNone)
}

// splitPath is os.path.split for clean relative paths: "a/b/c" -> ("a/b", "c"), "c" -> ("", "c").
func splitPath(path string) (head, tail string) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return "", path
	}
	return path[:i], path[i+1:]
}

// pathPrefixes returns "", "a", "a/b", "a/b/c" for "a/b/c" ("" alone for "").
func pathPrefixes(path string) []string {
	prefixes := []string{path}
	for path != "" {
		head, tail := splitPath(path)
		if tail == "" {
			break
		}
		prefixes = append([]string{head}, prefixes...)
		path = head
	}
	return prefixes
}

// Rules decide which paths are uploaded: gcloud's FileChooser.
type Rules struct {
	patterns []Pattern
	// Source says where the rules come from, for messages: ".gcloudignore", "default (git
	// repository)", or "none".
	Source string
}

// Patterns returns the parsed patterns, included files expanded, in order.
func (r *Rules) Patterns() []Pattern { return r.patterns }

// Included reports whether path (relative to the uploaded directory, "/"-separated) is uploaded.
// As in git, a path is excluded when the last pattern matching it or any of its parent directories
// is not negated; a file inside an excluded directory cannot be re-included.
func (r *Rules) Included(path string, isDir bool) bool {
	prefixes := pathPrefixes(path)[1:] // the root itself cannot be matched
	for _, prefix := range prefixes {
		ignored := false
		for _, p := range r.patterns {
			if p.Matches(prefix, prefix != path || isDir) {
				ignored = !p.negated
			}
		}
		if ignored {
			return false
		}
	}
	return true
}

// ParseIgnore parses the text of an ignore file. dir is the directory "#!include:FILE" lines read
// FILE from; recurse is how many levels of includes are honoured (gcloud: 1 for the top-level file,
// so an included file's own includes are ignored).
func ParseIgnore(text, dir string, recurse int) (*Rules, error) {
	r := &Rules{}
	for _, line := range splitLines(text) {
		if strings.HasPrefix(line, "#") {
			if strings.HasPrefix(strings.TrimLeftFunc(line[1:], isPythonSpace), includeDirective) {
				included, err := includedPatterns(line, dir, recurse)
				if err != nil {
					return nil, err
				}
				r.patterns = append(r.patterns, included...)
			}
			continue
		}
		if p, ok := ParsePattern(line); ok {
			r.patterns = append(r.patterns, p)
		}
	}
	return r, nil
}

func includedPatterns(line, dir string, recurse int) ([]Pattern, error) {
	name := line[strings.Index(line, includeDirective)+len(includeDirective):]
	if strings.Contains(name, "/") {
		return nil, fmt.Errorf("bad %q line in the ignore file: may only include files in the same directory", line)
	}
	if recurse <= 0 {
		return nil, nil // gcloud logs "Not respecting `#!include` directive" and goes on
	}
	path := filepath.Join(dir, name)
	_, b, err := sourceRoot(dir).ReadFile(path, MaxIgnoreFileSize)
	if err != nil {
		return nil, fmt.Errorf("bad %q line in the ignore file: could not read ignore file %s: %w", line, path, err)
	}
	if err := checkUTF8(name, b); err != nil {
		return nil, fmt.Errorf("bad %q line in the ignore file: %w", line, err)
	}
	r, err := ParseIgnore(string(b), dir, recurse-1)
	if err != nil {
		return nil, err
	}
	return r.patterns, nil
}

// RulesFor returns the rules gcloud applies to dir: the ignore file ignoreFile (".gcloudignore" when
// empty) if it can be read; else, when dir holds a .git or a .gitignore, DefaultIgnore (including
// .gitignore when it exists); else no rules at all.
func RulesFor(dir, ignoreFile string) (*Rules, error) {
	if ignoreFile == "" {
		ignoreFile = IgnoreFileName
	}
	path := filepath.Join(dir, ignoreFile)
	if b, err := readIgnoreFile(dir, path); err == nil {
		if err := checkUTF8(ignoreFile, b); err != nil {
			return nil, err
		}
		r, err := ParseIgnore(string(b), filepath.Dir(path), 1)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ignoreFile, err)
		}
		r.Source = ignoreFile
		return r, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("failed to read %s: %w", path, err)
	}
	if !exists(filepath.Join(dir, ".git")) && !exists(filepath.Join(dir, ".gitignore")) {
		return &Rules{Source: "none"}, nil
	}
	text := DefaultIgnore
	if exists(filepath.Join(dir, ".gitignore")) {
		text += "#!include:.gitignore\n"
	}
	r, err := ParseIgnore(text, dir, 1)
	if err != nil {
		return nil, fmt.Errorf("default ignore rules: %w", err)
	}
	r.Source = "default (git repository)"
	return r, nil
}

// readIgnoreFile reads the ignore file at path, confined to dir and capped; a directory of that
// name is no ignore file (os.ErrNotExist).
func readIgnoreFile(dir, path string) ([]byte, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, os.ErrNotExist
	}
	_, b, err := sourceRoot(dir).ReadFile(path, MaxIgnoreFileSize)
	return b, err
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
