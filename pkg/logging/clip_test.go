package logging

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		max      int
		want     string
	}{
		{"short", "hello", 5, "hello"},
		{"long", "hello world", 5, "hello … [6 bytes cut]"},
		{"inside a rune", "ab" + strings.Repeat("é", 3), 3, "ab … [6 bytes cut]"},                      // é is 2 bytes: not split
		{"inside a 4-byte rune", "a🙂b", 4, "a … [5 bytes cut]"},                                        // 🙂 is 4 bytes
		{"at a rune boundary", strings.Repeat("é", 3), 4, strings.Repeat("é", 2) + " … [2 bytes cut]"}, // cut after 2 runes
		{"empty", "", 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Clip(tc.in, tc.max)
			if got != tc.want {
				t.Errorf("Clip(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Clip(%q, %d) = %q is not valid UTF-8", tc.in, tc.max, got)
			}
		})
	}
}
