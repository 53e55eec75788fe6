package action

import (
	"fmt"
	"html"
	"strings"

	"github.com/twittix/infra/pkg/logging"
)

// Summary sizes.
const (
	// MaxSummaryBytes is the most one step writes to its summary: GitHub drops a step summary
	// over 1 MiB without a word; the margin keeps the cut notice and any other writer under it.
	MaxSummaryBytes = 900 << 10
	// MaxLogLine is the most bytes of one log line a summary shows; longer lines are clipped.
	MaxLogLine = 500
)

// Summary builds the Markdown of a step summary.
type Summary struct {
	b strings.Builder
}

// Heading adds a heading of the given level (1-6).
func (s *Summary) Heading(level int, text string) *Summary {
	level = min(max(level, 1), 6)
	fmt.Fprintf(&s.b, "%s %s\n\n", strings.Repeat("#", level), Escape(text))
	return s
}

// Paragraph adds a paragraph of Markdown; text is not escaped, so callers escape the values they
// interpolate with Escape or Code.
func (s *Summary) Paragraph(markdown string) *Summary {
	fmt.Fprintf(&s.b, "%s\n\n", strings.TrimSpace(markdown))
	return s
}

// Table adds a table; each cell is Markdown (use Escape, Code or Link for values), made safe for
// a table cell: pipes escaped and line breaks turned into <br>.
func (s *Summary) Table(header []string, rows [][]string) *Summary {
	row := func(cells []string) {
		s.b.WriteString("|")
		for i := range header {
			cell := ""
			if i < len(cells) {
				cell = cells[i]
			}
			fmt.Fprintf(&s.b, " %s |", tableCell(cell))
		}
		s.b.WriteString("\n")
	}
	row(header)
	s.b.WriteString("|")
	for range header {
		s.b.WriteString(" --- |")
	}
	s.b.WriteString("\n")
	for _, r := range rows {
		row(r)
	}
	s.b.WriteString("\n")
	return s
}

// List adds a bulleted list of Markdown items.
func (s *Summary) List(items ...string) *Summary {
	for _, it := range items {
		fmt.Fprintf(&s.b, "- %s\n", strings.ReplaceAll(it, "\n", " "))
	}
	s.b.WriteString("\n")
	return s
}

// Details adds a collapsed section whose body is shown as preformatted text (log lines...). Each
// line longer than MaxLogLine bytes is clipped (logging.Clip).
func (s *Summary) Details(title, text string) *Summary {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		lines[i] = logging.Clip(l, MaxLogLine)
	}
	fmt.Fprintf(&s.b, "<details><summary>%s</summary>\n\n<pre>%s</pre>\n\n</details>\n\n",
		html.EscapeString(title), html.EscapeString(strings.Join(lines, "\n")))
	return s
}

// String returns the Markdown built so far.
func (s *Summary) String() string {
	return s.b.String()
}

// Escape makes text safe to show literally in Markdown.
func Escape(text string) string {
	var b strings.Builder
	for _, r := range text {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '#', '|', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Code renders text as inline code, whatever backticks it contains.
func Code(text string) string {
	if text == "" {
		return ""
	}
	fence := "`"
	for strings.Contains(text, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(text, "`") || strings.HasSuffix(text, "`") {
		pad = " "
	}
	return fence + pad + text + pad + fence
}

// Link renders a Markdown link to url with text escaped.
func Link(text, url string) string {
	return fmt.Sprintf("[%s](%s)", Escape(text), strings.NewReplacer("(", "%28", ")", "%29", " ", "%20").Replace(url))
}

func tableCell(cell string) string {
	cell = strings.ReplaceAll(cell, "\r\n", "\n")
	cell = strings.ReplaceAll(cell, "\n", "<br>")
	// Escape pipes that are not escaped already (Escape leaves \|).
	var b strings.Builder
	for i := 0; i < len(cell); i++ {
		if cell[i] == '|' && (i == 0 || cell[i-1] != '\\') {
			b.WriteString(`\|`)
			continue
		}
		b.WriteByte(cell[i])
	}
	return b.String()
}

// WriteSummary appends s to the step summary (GITHUB_STEP_SUMMARY); outside GitHub Actions it is
// printed to the log. Secrets are redacted. What one Runtime writes to the summary is capped at
// MaxSummaryBytes in all (GitHub silently drops a step summary over 1 MiB): past it, the
// Markdown is cut at a line end and ends with a notice of what was cut (see capSummary), later
// parts are dropped, and the log says so.
func (r *Runtime) WriteSummary(s *Summary) error {
	md := r.Redact(s.String())
	r.mu.Lock()
	budget := MaxSummaryBytes - r.summaryBytes
	md, cut := capSummary(md, budget)
	r.summaryBytes += len(md)
	if cut != "" {
		r.summaryBytes = MaxSummaryBytes // the notice ends the summary: nothing goes after it
	}
	r.mu.Unlock()
	if cut != "" {
		r.Warnf("the step summary was cut: %s", cut)
	}
	path := r.getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		end := r.Group("Summary")
		r.print(md)
		end()
		return nil
	}
	return appendFile(path, md)
}
