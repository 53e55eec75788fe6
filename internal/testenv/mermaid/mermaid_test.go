package mermaid

import (
	"strings"
	"testing"

	"github.com/twittix/infra/pkg/action"
)

// TestParseRejectsBrokenDiagrams shows the check bites: each broken diagram is refused.
func TestParseRejectsBrokenDiagrams(t *testing.T) {
	c := New(t)
	tests := []struct{ name, diagram string }{
		{"unknown diagram", "nodiagram\n  a --> b\n"},
		{"unclosed xychart category", "xychart-beta\n  x-axis [\"10%\", \"50%\n  bar [10, 50]\n"},
		{"gantt date not in its format", "gantt\n  dateFormat HH:mm:ss.SSS\n  section s\n  a :s0, 00:00:00.000, garbage\n"},
		{"gantt task ending before it starts", "gantt\n  dateFormat HH:mm:ss.SSS\n  section s\n  a :s0, 00:00:03.000, 00:00:01.000\n"},
		{"a raw name that is a statement", "gantt\n  dateFormat HH:mm:ss.SSS\n  section s\n  click s0 href \"x\" :s0, 00:00:00.000, 00:00:01.000\n"},
	}
	var diagrams []string
	for _, tc := range tests {
		diagrams = append(diagrams, tc.diagram)
	}
	out, errs, err := c.ParseAll(diagrams)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if errs[i] == nil {
				t.Errorf("ParseAll accepted a broken diagram (%s):\n%s", out[i], tc.diagram)
			}
		})
	}
}

// TestHostileLabelsStayLabels draws a Gantt chart of tasks named by an attacker, escaped with
// action.MermaidLabel: it parses, with exactly one task per name.
func TestHostileLabelsStayLabels(t *testing.T) {
	c := New(t)
	names := []string{
		"api:crit, evil, 00:00:00.000, 00:00:09.000",
		"web; section Injected",
		"x\nsection Injected\ny :00:00:00.000, 00:00:01.000",
		"%%{init: {'theme':'forest'}}%%",
		"# comment? ```\n<script>alert(1)</script>",
		`"quoted" [brackets] {braces} |pipe| \back\slash`,
		"click s0 href \"javascript:alert(1)\"",
		"section Injected",
		"2026-01-01 dated",
	}
	var body strings.Builder
	body.WriteString("dateFormat HH:mm:ss.SSS\naxisFormat %M:%S\nsection Services\n")
	for i, n := range names {
		body.WriteString(action.MermaidLabel(n) + " :s" + string(rune('a'+i)) + ", 00:00:0" + string(rune('0'+i)) + ".000, 00:00:09.500\n")
	}
	md := new(action.Summary).Mermaid("gantt", body.String()).String()
	diagrams := Blocks(md)
	if len(diagrams) != 1 {
		t.Fatalf("%d diagrams in the Markdown, want 1:\n%s", len(diagrams), md)
	}
	got, err := c.Parse(diagrams[0])
	if err != nil {
		t.Fatalf("diagram of hostile names does not parse: %v\n%s", err, diagrams[0])
	}
	if want := "gantt 9"; got != want {
		t.Errorf("Parse = %q, want %q: a name broke out of its label\n%s", got, want, diagrams[0])
	}
}
