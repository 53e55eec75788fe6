package logging

import (
	"fmt"
	"unicode/utf8"
)

// Clip shortens a line of text from elsewhere (a log line, an error) to at most max bytes, cut
// at a character boundary, followed by a marker that says how much was cut. A line of max
// bytes or less is returned as it is.
func Clip(line string, max int) string {
	if len(line) <= max {
		return line
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(line[cut]) {
		cut--
	}
	return fmt.Sprintf("%s … [%d bytes cut]", line[:cut], len(line)-cut)
}
