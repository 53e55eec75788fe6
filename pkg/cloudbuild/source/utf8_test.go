package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRulesForInvalidUTF8 checks that an ignore file that is not UTF-8 is refused, naming the
// file and the offset of the first bad byte, as gcloud 528 stops on it (a UnicodeDecodeError at
// the same position) instead of uploading.
func TestRulesForInvalidUTF8(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		files      map[string]string
		ignoreFile string
		wantErr    []string // substrings of the error
	}{
		{
			name:    ".gcloudignore",
			files:   map[string]string{".gcloudignore": "ok\nbad\xff\n"},
			wantErr: []string{".gcloudignore", "not valid UTF-8", "byte 0xff at offset 6"},
		},
		{
			name:    "included .gitignore",
			files:   map[string]string{".gcloudignore": "a\n#!include:.gitignore\n", ".gitignore": "x\n\xc3(\n"},
			wantErr: []string{".gitignore", "not valid UTF-8", "byte 0xc3 at offset 2"},
		},
		{
			name:    ".gitignore of the default rules",
			files:   map[string]string{".git/HEAD": "ref: refs/heads/main\n", ".gitignore": "\xed\xa0\x80\n"}, // a surrogate
			wantErr: []string{".gitignore", "not valid UTF-8", "byte 0xed at offset 0"},
		},
		{
			name:       "ignore_file",
			files:      map[string]string{"ci.ignore": "é\nn\xe9\n"}, // Latin-1
			ignoreFile: "ci.ignore",
			wantErr:    []string{"ci.ignore", "not valid UTF-8", "byte 0xe9 at offset 4"},
		},
		{
			name:    "truncated at the end",
			files:   map[string]string{".gcloudignore": "ok\n\xe2\x82"},
			wantErr: []string{".gcloudignore", "byte 0xe2 at offset 3"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, content := range tc.files {
				write(t, dir, name, content)
			}
			write(t, dir, "main.go", "package main\n")
			_, err := RulesFor(dir, tc.ignoreFile)
			if err == nil {
				t.Fatal("RulesFor succeeded, want an error")
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("RulesFor error = %q, want it to contain %q", err, want)
				}
			}
			if l, err := List(dir, ListOptions{IgnoreFile: tc.ignoreFile}); err == nil {
				t.Errorf("List succeeded with %d files, want the error (nothing uploaded)", len(l.Files))
			}
		})
	}
}

// TestRulesForValidUTF8 checks non-ASCII patterns, with gcloud 528's answers: a byte order mark
// is part of the first line (gcloud reads "utf-8", not "utf-8-sig"), so "\ufeffcafé" does not
// match café.
func TestRulesForValidUTF8(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, ".gcloudignore", "\ufeffcafé\n#!include:.gitignore\n")
	write(t, dir, ".gitignore", "日本\n")
	for _, name := range []string{"café", "日本", "keep"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rules, err := RulesFor(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{"café": true, "日本": false, "keep": true} {
		if got := rules.Included(path, false); got != want {
			t.Errorf("Included(%q) = %v, want %v", path, got, want)
		}
	}
}
