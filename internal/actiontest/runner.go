package actiontest

import (
	"strings"
	"testing"
)

// Command is a workflow command that the runner would execute.
type Command struct {
	Name, Data string
	Line       int // index in RunnerLog.Lines
}

// RunnerLog is a step's log as the GitHub Actions runner reads it.
type RunnerLog struct {
	// Lines are the lines of the log, ended where the runner ends them: at "\n", "\r\n" and a
	// lone "\r" (.NET's StreamReader.ReadLine).
	Lines []string
	// Commands are the commands the runner executes, in order, stop-commands and its resume
	// token included.
	Commands []Command
	// Stopped tells, for each line, whether command processing was stopped when it came: the
	// line is inside a ::stop-commands:: block (its opening and closing lines excluded).
	Stopped []bool
	// Tokens are the tokens of the stop-commands blocks, in order.
	Tokens []string
	// Open is true when the log ends with command processing still stopped.
	Open bool
}

// ReadAsRunner reads log as the runner's ActionCommandManager does, written from its rules and
// erring on the side of seeing more commands than the runner would:
//
//   - v2: a line whose start, after .NET white space (dotnetSpace) is trimmed, is "::name
//     props::data" is a command named name;
//   - v1: "##[name props]data" anywhere in a line (the runner only tries its first "##[", after
//     v2 failed) is a command named name;
//   - every name counts, registered with the runner or not, compared case-insensitively;
//   - "stop-commands" with data TOKEN stops processing until a command named TOKEN (either form,
//     any case), which resumes it; nothing else is executed meanwhile (an empty TOKEN stops it
//     for good).
func ReadAsRunner(log string) RunnerLog {
	var rl RunnerLog
	rl.Lines = runnerLines(log)
	stopped, token := false, ""
	for i, line := range rl.Lines {
		rl.Stopped = append(rl.Stopped, false)
		cmds := parseCommands(line)
		if stopped {
			resumed := false
			for _, c := range cmds {
				if token != "" && strings.EqualFold(c.Name, token) {
					rl.Commands = append(rl.Commands, Command{Name: c.Name, Data: c.Data, Line: i})
					stopped, resumed = false, true
					break
				}
			}
			rl.Stopped[i] = !resumed
			continue
		}
		if len(cmds) == 0 {
			continue
		}
		c := cmds[0]
		c.Line = i
		rl.Commands = append(rl.Commands, c)
		if strings.EqualFold(c.Name, "stop-commands") {
			stopped, token = true, c.Data
			rl.Tokens = append(rl.Tokens, token)
		}
	}
	rl.Open = stopped
	return rl
}

// runnerLines splits text at "\n", "\r\n" and a lone "\r".
func runnerLines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// parseCommands returns the commands a line may be read as: the v2 one, else every v1 one.
func parseCommands(line string) []Command {
	trimmed := strings.TrimLeftFunc(line, dotnetSpace)
	if rest, ok := strings.CutPrefix(trimmed, "::"); ok {
		if info, data, ok := strings.Cut(rest, "::"); ok {
			name, _, _ := strings.Cut(info, " ")
			if name != "" {
				return []Command{{Name: name, Data: data}}
			}
		}
	}
	var out []Command
	for rest := line; ; {
		_, after, ok := strings.Cut(rest, "##[")
		if !ok {
			return out
		}
		info, data, ok := strings.Cut(after, "]")
		if !ok {
			return out
		}
		if name, _, _ := strings.Cut(info, " "); name != "" {
			out = append(out, Command{Name: name, Data: data})
		}
		rest = after
	}
}

// dotnetSpace is .NET's char.IsWhiteSpace (as documented: U+0009–U+000D, U+0020, U+0085, U+00A0,
// U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), widened with characters that
// some .NET versions also trim (U+001C–U+001F, U+180E) and U+FEFF, U+200B: more white space
// means more lines read as commands, so a stricter check.
func dotnetSpace(r rune) bool {
	switch {
	case r >= 0x09 && r <= 0x0D, r >= 0x1C && r <= 0x20, r == 0x85, r == 0xA0, r == 0x1680, r == 0x180E:
		return true
	case r >= 0x2000 && r <= 0x200B, r == 0x2028, r == 0x2029, r == 0x202F, r == 0x205F, r == 0x3000, r == 0xFEFF:
		return true
	}
	return false
}

// CheckRemoteText fails t unless remote text in log, known by marker (a word that each payload
// line of the test contains), can issue no command: no executed command mentions marker, every
// line with marker was printed while commands were stopped, each stop token appears in the
// log only in its own opening and closing lines, and no block is left open. It returns what the
// runner executes, for further checks (the action's own commands after the payload...).
func CheckRemoteText(t testing.TB, log, marker string) RunnerLog {
	t.Helper()
	rl := ReadAsRunner(log)
	lower := strings.ToLower(marker)
	seen := false
	for i, line := range rl.Lines {
		if !strings.Contains(strings.ToLower(line), lower) {
			continue
		}
		seen = true
		if !rl.Stopped[i] {
			t.Errorf("line %d holds remote text outside a stop-commands block: %q", i, line)
		}
	}
	if !seen {
		t.Errorf("the log holds no line with %q: the test printed no remote text\n%s", marker, log)
	}
	for _, c := range rl.Commands {
		if strings.Contains(strings.ToLower(c.Name+"::"+c.Data), lower) {
			t.Errorf("the runner would execute %q (data %q) from line %d: %q", c.Name, c.Data, c.Line, rl.Lines[c.Line])
		}
	}
	lowLog := strings.ToLower(strings.ToUpper(log))
	for _, tok := range rl.Tokens {
		if len(tok) < 16 {
			t.Errorf("stop-commands token %q is too short to be unguessable", tok)
			continue
		}
		if n := strings.Count(lowLog, strings.ToLower(strings.ToUpper(tok))); n != 2 {
			t.Errorf("stop-commands token %q appears %d times in the log, want 2 (open and close)", tok, n)
		}
	}
	if rl.Open {
		t.Errorf("the log ends with commands stopped: the action's own later commands would be lost")
	}
	return rl
}

// Executed reports whether the runner executes a command named name whose data contains data.
func (rl RunnerLog) Executed(name, data string) bool {
	for _, c := range rl.Commands {
		if strings.EqualFold(c.Name, name) && strings.Contains(c.Data, data) {
			return true
		}
	}
	return false
}

// Unwrapped returns log without the lines that open and close stop-commands blocks, as one
// text with "\n" line ends: what a test greps for lines that follow one another on screen.
func Unwrapped(log string) string {
	rl := ReadAsRunner(log)
	marker := map[int]bool{}
	resume := map[string]bool{}
	for _, c := range rl.Commands {
		switch {
		case strings.EqualFold(c.Name, "stop-commands"):
			marker[c.Line] = true
			resume[strings.ToLower(c.Data)] = true
		case resume[strings.ToLower(c.Name)]:
			marker[c.Line] = true
		}
	}
	var b strings.Builder
	for i, l := range rl.Lines {
		if !marker[i] {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
