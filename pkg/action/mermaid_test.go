package action

import (
	"strings"
	"testing"
)

func TestMermaidLabel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "shop_api", "shop_api"},
		{"image with tag and digest", "gcr.io/cloud-builders/docker:latest", "gcr.io/cloud-builders/docker#58;latest"},
		{"unicode letters stay", "café-ünï", "café-ünï"},
		{"task separator and statement end", "a:crit, x; done", "a#58;crit, x#59; done"},
		{"comment and directive", "%%{init: {'theme':'dark'}}%%", "#37;#37;#123;init#58; #123;#39;theme#39;#58;#39;dark#39;#125;#125;#37;#37;"},
		{"entity stays literal", "#58;", "#35;58#59;"},
		{"newlines", "a\nsection evil\r\nb", "a section evil  b"},
		{"html and markdown", "<img src=x onerror=alert(1)>**`x`**", "#60;img src=x onerror=alert(1)#62;#42;#42;#96;x#96;#42;#42;"},
		{"quotes and brackets", `"a" [b] {c}`, "#34;a#34; #91;b#93; #123;c#125;"},
		{"empty", "  ", "(unnamed)"},
		{"keyword at the start", "click s0 href x", "#99;lick s0 href x"},
		{"keyword in any case", "Section B", "#83;ection B"},
		{"keyword prefix only", "clicker", "clicker"},
		{"date at the start", "2026-11-30 build", "#50;026-11-30 build"},
		{"clipped", strings.Repeat("x", 100), strings.Repeat("x", MaxMermaidLabel) + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := MermaidLabel(tc.in); got != tc.want {
				t.Errorf("MermaidLabel(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMermaidBlockCannotBeClosedByItsBody(t *testing.T) {
	t.Parallel()
	body := "title x\n```\n# Injected heading\n\n<script>alert(1)</script>\n"
	got := new(Summary).Heading(3, "Timeline").Mermaid("gantt", body).String()
	want := "### Timeline\n\n```mermaid\ngantt\n    title x\n    #96;#96;#96;\n    # Injected heading\n    <script>alert(1)</script>\n```\n\n"
	if got != want {
		t.Errorf("Mermaid =\n%s\nwant\n%s", got, want)
	}
	// The only fence lines are the block's own: nothing of the body ends it early.
	fences := 0
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(strings.TrimLeft(line, " "), "```") && len(line)-len(strings.TrimLeft(line, " ")) < 4 {
			fences++
		}
	}
	if fences != 2 {
		t.Errorf("%d fence lines, want 2:\n%s", fences, got)
	}
}
