package action

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// cutNoticeRoom is what the notice and the closing of open blocks may take, kept free when a
// summary is cut.
const cutNoticeRoom = 1 << 10

// capSummary returns md whole when it fits in budget bytes. Otherwise it returns md cut at the
// last line end that leaves room for the notice (at a character boundary when a single line is
// too long), with the code fence, <pre> and <details> blocks left open by the cut closed, and a
// notice of what was cut; cut says what was cut, for the log. A budget too small for the notice
// gives "".
func capSummary(md string, budget int) (capped, cut string) {
	if len(md) <= budget {
		return md, ""
	}
	keep := max(budget-cutNoticeRoom, 0)
	if i := strings.LastIndexByte(md[:keep], '\n'); i >= 0 {
		keep = i + 1
	} else {
		for keep > 0 && !utf8.RuneStart(md[keep]) {
			keep--
		}
	}
	rest := md[keep:]
	lines := strings.Count(rest, "\n")
	if !strings.HasSuffix(rest, "\n") {
		lines++
	}
	cut = fmt.Sprintf("%d lines / %d KB cut (a step summary is limited to %d KB)", lines, (len(rest)+1023)/1024, MaxSummaryBytes>>10)
	if budget < cutNoticeRoom {
		return "", cut
	}
	kept := md[:keep]
	if keep > 0 && !strings.HasSuffix(kept, "\n") {
		kept += "\n"
	}
	notice := fmt.Sprintf("%s\n> :scissors: … %s: see the job log.\n", closeOpenBlocks(kept), cut)
	return kept + notice, cut
}

// closeOpenBlocks returns what closes the blocks that md leaves open: a fenced code block (a
// line of backticks, as long as the opening one or more), then <pre> and <details> elements.
func closeOpenBlocks(md string) string {
	fence := ""
	for _, line := range strings.Split(md, "\n") {
		ticks := len(line) - len(strings.TrimLeft(line, "`"))
		switch {
		case fence == "" && ticks >= 3:
			fence = line[:ticks]
		case fence != "" && ticks >= len(fence) && strings.TrimSpace(line[ticks:]) == "":
			fence = ""
		}
	}
	var b strings.Builder
	if fence != "" {
		b.WriteString(fence + "\n")
	}
	if open := strings.Count(md, "<pre>") - strings.Count(md, "</pre>"); open > 0 {
		b.WriteString(strings.Repeat("</pre>", open) + "\n")
	}
	if open := strings.Count(md, "<details>") - strings.Count(md, "</details>"); open > 0 {
		b.WriteString(strings.Repeat("\n</details>\n", open))
	}
	return b.String()
}
