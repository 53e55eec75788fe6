package source

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// splitLines splits text like Python's str.splitlines, which gcloud uses on ignore files: on \n,
// \r\n, \r, \v, \f, \x1c, \x1d, \x1e, \x85, U+2028 and U+2029, without a trailing empty line.
func splitLines(text string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch r {
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			lines = append(lines, text[start:i])
			i += size
			start = i
		case '\r':
			lines = append(lines, text[start:i])
			i += size
			if i < len(text) && text[i] == '\n' {
				i++
			}
			start = i
		default:
			i += size
		}
	}
	if start < len(text) {
		lines = append(lines, text[start:])
	}
	return lines
}

// decodeRune returns the first rune of s and its size (1 for invalid UTF-8, so bytes are kept).
func decodeRune(s string) (rune, int) {
	return utf8.DecodeRuneInString(s)
}

// isPythonSpace reports whether Python's str.isspace() holds for r, which gcloud's str.lstrip()
// strips: Go's unicode.IsSpace plus the information separators U+001C to U+001F.
func isPythonSpace(r rune) bool {
	return unicode.IsSpace(r) || 0x1c <= r && r <= 0x1f
}

// checkUTF8 returns an error naming the ignore file name when its content b is not valid UTF-8.
// gcloud reads ignore files as UTF-8 text and stops on the first byte it cannot decode, uploading
// nothing; so do we, rather than match patterns against bytes gcloud would never have read.
func checkUTF8(name string, b []byte) error {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return fmt.Errorf("ignore file %s is not valid UTF-8: byte %#02x at offset %d cannot be decoded (gcloud refuses it too); save the file as UTF-8", name, b[i], i)
		}
		i += size
	}
	return nil
}
