package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The expectations below follow Python's fnmatch.fnmatch and gcloud's glob.py, quirks included.

func TestFnmatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, pat string
		want      bool
	}{
		{"foo.txt", "*.txt", true},
		{"foo.txt", "*.TXT", false},
		{"a", "?", true},
		{"", "?", false},
		{"", "*", true},
		{"", "", true},
		{"abcbd", "a*b?", true},
		{"aaa", "a**a", true},
		{"ab", "a*b*c", false},
		{"b", "[abc]", true},
		{"d", "[abc]", false},
		{"d", "[!abc]", true},
		{"a", "[!abc]", false},
		{"]", "[]]", true},
		{"a", "[]a]", true},
		{"[", "[", true},
		{"[ab", "[ab", true},
		{"m", "[a-z]", true},
		{"-", "[a-]", true},
		{"-", "[-a]", true},
		{"b", "[z-a]", false},
		{"q", "[!z-a]", true},
		{"a", "[az-ab]", true},
		{"-", "[a-c-e]", true},
		{"d", "[a-c-e]", false},
		{"^", "[^]", true},
		{"[!]", "[!]", true},
		{"b", "[!]", false},
		{`\x`, `\x`, true},
		{"x", `\x`, false},
		{`a\b`, `a[\]b`, true},
		{"é", "?", true},
		{"café", "caf[é]", true},
	}
	for _, tc := range tests {
		if got := fnmatch(tc.name, tc.pat); got != tc.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", tc.name, tc.pat, got, tc.want)
		}
	}
}

func TestPatternMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line  string
		path  string
		isDir bool
		want  bool
	}{
		{"foo", "foo", false, true},
		{"foo", "a/b/foo", false, true},
		{"foo", "foobar", false, false},
		{"/foo", "foo", false, true},
		{"/foo", "a/foo", false, false},
		{"a/b", "a/b", false, true},
		{"a/b", "x/a/b", false, true}, // gcloud matches right to left: not anchored, unlike git
		{"*.log", "d/x.log", false, true},
		{"*/bar", "foo/bar", false, true},
		{"*/bar", "foo/qux/bar", false, false},
		{"*/bar", "f/qux/bar", false, true}, // gcloud's length check lets one-letter directories through
		{"*/bar", "é/qux/bar", false, true}, // it counts characters, not bytes
		{"*/bar", "日/qux/bar", false, true},
		{"*/bar", "\xff/qux/bar", false, true}, // an undecodable byte is one character to gcloud too
		{"*/bar", "ée/qux/bar", false, false},
		{"*/bar", "bar", false, true},
		{"/*", "foo", false, true},
		{"/*", "a/foo", false, false},
		{"a/**", "a", true, true},
		{"a/**", "a/x/y", false, true},
		{"a/**", "b/a/x", false, false},
		{"**/foo", "foo", false, true},
		{"**/foo", "x/y/foo", false, true},
		{"a/**/b", "a/b", false, true},
		{"a/**/b", "a/x/y/b", false, true},
		{"a/**/b", "x/a/b", false, false},
		{"build/", "build", true, true},
		{"build/", "build", false, false},
		{"build/", "src/build", true, true},
		{`\#foo`, "#foo", false, true},
		{`foo\ `, "foo ", false, true},
		{"foo   ", "foo", false, true},
		{`\!x`, "!x", false, true},
		{"!keep", "keep", false, true}, // negated patterns match the same paths
	}
	for _, tc := range tests {
		p, ok := ParsePattern(tc.line)
		if !ok {
			t.Errorf("ParsePattern(%q) skipped the line", tc.line)
			continue
		}
		if got := p.Matches(tc.path, tc.isDir); got != tc.want {
			t.Errorf("pattern %q Matches(%q, dir=%v) = %v, want %v", tc.line, tc.path, tc.isDir, got, tc.want)
		}
	}
}

func TestParsePatternSkips(t *testing.T) {
	t.Parallel()
	for _, line := range []string{"", "   ", "#comment", `foo\`, `foo\\\`, "/", "!"} {
		if p, ok := ParsePattern(line); ok {
			t.Errorf("ParsePattern(%q) = %v, want the line skipped", line, p.parts)
		}
	}
	if p, ok := ParsePattern(`foo\\`); !ok || !p.Matches(`foo\`, false) {
		t.Errorf(`ParsePattern("foo\\\\") should match "foo\\"`)
	}
}

// TestPatternWhiteSpace checks that, as in gcloud's glob.py, only trailing spaces are stripped
// from a pattern: other white space, Python's included, is part of the name (answers of gcloud 528's
// FileChooser.IsIncluded("foo") for a one-line ignore file).
func TestPatternWhiteSpace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line        string
		fooIncluded bool
	}{
		{"foo ", false},
		{"foo  ", false},
		{" foo", true},
		{"foo\t", true},
		{"\tfoo", true},
		{"foo\x1f", true},
		{"\x1ffoo", true},
		{"foo\u00a0", true},
		{"foo\u3000", true},
	}
	for _, tc := range tests {
		rules, err := ParseIgnore(tc.line+"\n", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := rules.Included("foo", false); got != tc.fooIncluded {
			t.Errorf("with the pattern %q, Included(\"foo\") = %v, gcloud says %v", tc.line, got, tc.fooIncluded)
		}
	}
}

func TestRulesIncluded(t *testing.T) {
	t.Parallel()
	rules, err := ParseIgnore("node_modules/\n*.log\n!important.log\nbuild\n!build/keep.txt\n", t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path  string
		isDir bool
		want  bool
	}{
		{"app.log", false, false},
		{"important.log", false, true},
		{"logs/important.log", false, true},
		{"build/keep.txt", false, false}, // a parent directory is excluded: cannot be re-included
		{"node_modules", true, false},
		{"node_modules", false, true}, // a file named node_modules is not a directory
		{"src/node_modules/x.js", false, false},
		{"src/main.go", false, true},
	}
	for _, tc := range tests {
		if got := rules.Included(tc.path, tc.isDir); got != tc.want {
			t.Errorf("Included(%q, dir=%v) = %v, want %v", tc.path, tc.isDir, got, tc.want)
		}
	}
}

func TestParseIgnoreIncludes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "one.ignore", "a\n#!include:two.ignore\n")
	write(t, dir, "two.ignore", "b\n")
	tests := []struct {
		name, text string
		recurse    int
		want       []string
		wantErr    string
	}{
		{name: "one level", text: "x\n#!include:one.ignore\ny\n", recurse: 1, want: []string{"x", "a", "y"}},
		{name: "two levels", text: "#!include:one.ignore\n", recurse: 2, want: []string{"a", "b"}},
		{name: "not honoured at depth 0", text: "#!include:one.ignore\n", recurse: 0, want: nil},
		{name: "spaces after hash", text: "#   !include:one.ignore\r\n", recurse: 1, want: []string{"a"}},
		// Python's str.lstrip() strips what str.isspace() accepts: U+001F and U+00A0 too, not U+200B.
		{name: "unit separator after hash", text: "#\x1f!include:one.ignore\n", recurse: 1, want: []string{"a"}},
		{name: "no-break space after hash", text: "#\u00a0\t!include:one.ignore\n", recurse: 1, want: []string{"a"}},
		{name: "ideographic space after hash", text: "#\u3000!include:one.ignore\n", recurse: 1, want: []string{"a"}},
		{name: "zero width space after hash is a comment", text: "#\u200b!include:one.ignore\n", recurse: 1, want: nil},
		{name: "file separator ends the comment line", text: "#\x1c!include:one.ignore\n", recurse: 1, want: []string{"!include:one.ignore"}},
		{name: "other directory", text: "#!include:sub/x.ignore\n", recurse: 1, wantErr: "may only include files in the same directory"},
		{name: "missing file", text: "#!include:gone.ignore\n", recurse: 1, wantErr: "could not read ignore file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := ParseIgnore(tc.text, dir, tc.recurse)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseIgnore() error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range r.Patterns() {
				got = append(got, p.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("patterns mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitLines(t *testing.T) {
	t.Parallel()
	got := splitLines("a\nb\r\nc\rd\x0be\u2028f\n\n")
	want := []string{"a", "b", "c", "d", "e", "f", ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("splitLines mismatch (-want +got):\n%s", diff)
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
