package action

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// MaxMermaidLabel is the most characters of a label a diagram shows; longer labels are clipped.
const MaxMermaidLabel = 60

// Mermaid adds a Mermaid diagram of the given kind ("gantt", "xychart-beta", ...), which GitHub
// draws in a step summary. body is the diagram's statements, one a line; the values in it come
// through MermaidLabel. Each line is indented, so that no line of the body can close the fence.
func (s *Summary) Mermaid(kind, body string) *Summary {
	s.b.WriteString(MermaidBlock(kind, body))
	s.b.WriteString("\n")
	return s
}

// MermaidBlock returns the fenced Markdown of a Mermaid diagram, for the summaries that are
// built as a string (see Summary.Mermaid).
func MermaidBlock(kind, body string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "```mermaid\n%s\n", strings.TrimSpace(kind))
	for _, line := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		line = strings.TrimSpace(strings.ReplaceAll(line, "`", "#96;"))
		if line != "" {
			fmt.Fprintf(&b, "    %s\n", line)
		}
	}
	b.WriteString("```\n")
	return b.String()
}

// MermaidLabel makes text safe as a label (a task name, a title) in a Mermaid diagram: letters,
// digits, spaces and . - _ / @ + = , ( ) stay; any other character becomes a Mermaid entity
// (#58; for a colon), which Mermaid draws as the character but which cannot end the label, start
// a comment or a directive, or reach the Markdown or HTML around the diagram. Line breaks and
// other control characters become spaces; the label is clipped to MaxMermaidLabel characters. A
// label that starts with a Mermaid keyword (section, click, title...) or a digit has its first
// character as an entity too, so that it can start a line of a Gantt chart.
func MermaidLabel(text string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.TrimSpace(text) {
		if n == MaxMermaidLabel {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case unicode.IsControl(r) || unicode.IsSpace(r):
			b.WriteByte(' ')
		case unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(".-_/@+=,()", r):
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "#%d;", r)
		}
	}
	if b.Len() == 0 {
		return "(unnamed)"
	}
	return guardStart(b.String())
}

// mermaidKeywords are the words that make a statement when they start a line of a diagram
// (Gantt's lexer, case-insensitive): a label that starts with one must not start its line.
var mermaidKeywords = map[string]bool{
	"acctitle": true, "accdescr": true, "accdescription": true, "axisformat": true, "call": true,
	"click": true, "dateformat": true, "excludes": true, "gantt": true, "href": true, "includes": true,
	"inclusiveenddates": true, "section": true, "tickinterval": true, "title": true, "todaymarker": true,
	"topaxis": true, "weekday": true, "weekend": true,
}

// guardStart turns the first character of label into an entity when the label starts with a
// keyword or a digit (a date, in a Gantt chart), so that at the start of a line it stays a label.
func guardStart(label string) string {
	word := strings.ToLower(label[:len(label)-len(strings.TrimLeftFunc(label, func(r rune) bool { return r < unicode.MaxASCII && unicode.IsLetter(r) }))])
	if mermaidKeywords[word] || (label[0] >= '0' && label[0] <= '9') {
		return fmt.Sprintf("#%d;", label[0]) + label[1:]
	}
	return label
}

// GanttHeader starts a Gantt body whose times are offsets written by GanttTime.
const GanttHeader = "dateFormat HH:mm:ss.SSS\naxisFormat %M:%S\n"

// GanttTime writes t as its offset from origin (none before it) in GanttHeader's date format.
func GanttTime(origin, t time.Time) string {
	d := max(t.Sub(origin), 0)
	return fmt.Sprintf("%02d:%02d:%02d.%03d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60, d.Milliseconds()%1000)
}
