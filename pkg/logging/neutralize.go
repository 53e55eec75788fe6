package logging

import "strings"

// Neutralize keeps text from elsewhere (a build log, a server's error message) from issuing GitHub
// workflow commands: each of its lines that starts, after blanks, with "::" or "##[" (which the
// runner would read as a command: set an output, add a mask, stop commands...) is prefixed with
// "| ". Other lines are left as they are.
func Neutralize(text string) string {
	if !strings.Contains(text, "::") && !strings.Contains(text, "##[") {
		return text
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		t := strings.TrimLeft(l, " \t\r")
		if strings.HasPrefix(t, "::") || strings.HasPrefix(t, "##[") {
			lines[i] = "| " + l
		}
	}
	return strings.Join(lines, "\n")
}
