package logging

import (
	"strings"
	"unicode"
)

// Neutralize keeps text from elsewhere (a build log, a container's output, a server's error
// message) from issuing GitHub workflow commands, by the rules of the Actions runner:
//
//   - the runner ends a line at "\n", "\r\n" and a lone "\r" (StreamReader.ReadLine);
//   - it reads a line as a "::name::data" command once the white space that .NET's
//     char.IsWhiteSpace knows is trimmed from its start (see IsRunnerSpace);
//   - it reads "##[name]data" as a command wherever it appears in a line.
//
// So each line (by those line ends) that starts with "::" after such white space is prefixed
// with "| ", and every "##[" becomes "## [". Other text is left as it is, line ends included.
// Neutralize is idempotent.
//
// It is the line-level guard; text printed as a block goes through Remote as well, which also
// stops the runner's command processing around it.
func Neutralize(text string) string {
	if !strings.Contains(text, "::") && !strings.Contains(text, "##[") {
		return text
	}
	text = strings.ReplaceAll(text, "##[", "## [")
	var b strings.Builder
	b.Grow(len(text) + 8)
	for len(text) > 0 {
		end := strings.IndexAny(text, "\r\n")
		line, sep := text, ""
		if end >= 0 {
			line, sep = text[:end], text[end:end+1]
			if strings.HasPrefix(text[end:], "\r\n") {
				sep = "\r\n"
			}
		}
		if strings.HasPrefix(strings.TrimLeftFunc(line, IsRunnerSpace), "::") {
			b.WriteString("| ")
		}
		b.WriteString(line)
		b.WriteString(sep)
		text = text[len(line)+len(sep):]
	}
	return b.String()
}

// IsRunnerSpace reports whether the Actions runner trims r from the start of a line before it
// looks for "::": the white space of .NET's char.IsWhiteSpace (Unicode's space, line and
// paragraph separators, U+0009–U+000D, U+0085), with, to be safe, the characters some .NET
// versions or tables also count (U+001C–U+001F, U+180E, U+FEFF, U+200B).
func IsRunnerSpace(r rune) bool {
	switch {
	case unicode.IsSpace(r): // U+0009–U+000D, U+0020, U+0085 and Unicode's White_Space (Zs, Zl, Zp)
		return true
	case r >= 0x1C && r <= 0x1F, r == 0x180E, r == 0xFEFF, r == 0x200B:
		return true
	}
	return false
}

// RemotePrinter is implemented by loggers that can print a block of text from elsewhere so that
// nothing in it is read as a command (pkg/action's Runtime stops the runner's command
// processing around it, with a fresh token each time).
type RemotePrinter interface {
	// PrintRemote prints lines of text from elsewhere, in one piece.
	PrintRemote(lines []string)
}

// Remote prints lines of text from elsewhere (a container's log, a task's error, a build log)
// through log: as one guarded block when log is a RemotePrinter, else line by line through
// Neutralize. Every place that prints remote text goes through it.
func Remote(log Logger, lines ...string) {
	if len(lines) == 0 {
		return
	}
	if p, ok := log.(RemotePrinter); ok {
		p.PrintRemote(lines)
		return
	}
	for _, l := range lines {
		log.Infof("%s", Neutralize(l))
	}
}
