package action

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// bigLog is n log lines of about 100 bytes, with multi-byte characters.
func bigLog(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%06d ünïcödé 🙂 %s\n", i, strings.Repeat("x", 70))
	}
	return b.String()
}

func TestWriteSummaryIsCapped(t *testing.T) {
	t.Parallel()
	env := newGitHubEnv(t, nil)
	rt := env.runtime()
	// A failing service with 20000 log lines (2 MB), in a code fence inside <details>.
	md := "### Deploy failed\n\n<details><summary>Logs</summary>\n\n````text\n" + bigLog(20000) + "````\n\n</details>\n"
	if err := rt.WriteSummary(new(Summary).Paragraph(md)); err != nil {
		t.Fatal(err)
	}
	if err := rt.WriteSummary(new(Summary).Paragraph("a later part")); err != nil {
		t.Fatal(err)
	}
	got := env.file(t, "GITHUB_STEP_SUMMARY")
	if len(got) > MaxSummaryBytes {
		t.Errorf("summary is %d bytes, want at most %d", len(got), MaxSummaryBytes)
	}
	if len(got) < MaxSummaryBytes-2*cutNoticeRoom {
		t.Errorf("summary is %d bytes: cut more than needed", len(got))
	}
	if !utf8.ValidString(got) {
		t.Errorf("the cut summary is not valid UTF-8")
	}
	if !strings.HasPrefix(got, "### Deploy failed\n") {
		t.Errorf("summary does not start with its beginning: %q", got[:40])
	}
	notice := regexpFind(t, `> :scissors: … (\d+) lines / (\d+) KB cut \(a step summary is limited to 900 KB\): see the job log\.`, got)
	if notice == nil {
		t.Fatalf("summary lacks the cut notice:\n%s", got[len(got)-300:])
	}
	// The fence and the <details> open before the cut are closed before the notice.
	tail := got[strings.LastIndex(got, "ünïcödé"):]
	for _, want := range []string{"\n````\n", "</details>", "> :scissors:"} {
		if !strings.Contains(tail, want) {
			t.Errorf("the end of the summary lacks %q:\n%s", want, tail)
		}
	}
	if strings.Contains(got, "a later part") {
		t.Errorf("a part written past the cap was kept")
	}
	warn := "::warning::the step summary was cut: " + notice[1] + " lines / " + notice[2] + " KB cut"
	if !strings.Contains(env.out.String(), warn) {
		t.Errorf("log lacks %q:\n%s", warn, env.out.String())
	}
}

func TestWriteSummaryCountsEveryWrite(t *testing.T) {
	t.Parallel()
	env := newGitHubEnv(t, nil)
	rt := env.runtime()
	for range 3 { // 3 × 500 KB: the second write is cut, the third dropped
		if err := rt.WriteSummary(new(Summary).Paragraph(bigLog(5000))); err != nil {
			t.Fatal(err)
		}
	}
	got := env.file(t, "GITHUB_STEP_SUMMARY")
	if len(got) > MaxSummaryBytes || strings.Count(got, ":scissors:") != 1 {
		t.Errorf("summary is %d bytes with %d notices, want at most %d bytes and one notice", len(got), strings.Count(got, ":scissors:"), MaxSummaryBytes)
	}
	if n := strings.Count(env.out.String(), "the step summary was cut"); n != 2 {
		t.Errorf("the log says %d times that the summary was cut, want 2", n)
	}
}

func TestCapSummary(t *testing.T) {
	t.Parallel()
	t.Run("fits", func(t *testing.T) {
		t.Parallel()
		if got, cut := capSummary("small\n", 10); got != "small\n" || cut != "" {
			t.Errorf("capSummary = %q, %q", got, cut)
		}
	})
	t.Run("one huge line is cut inside, not inside a character", func(t *testing.T) {
		t.Parallel()
		for shift := range 4 { // every position inside a 4-byte character
			md := strings.Repeat("a", shift) + strings.Repeat("🙂", 5000)
			got, cut := capSummary(md, 10000)
			if len(got) > 10000 || !utf8.ValidString(got) || !strings.Contains(cut, "1 lines") {
				t.Errorf("shift %d: %d bytes, valid UTF-8 %v, cut %q", shift, len(got), utf8.ValidString(got), cut)
			}
		}
	})
	t.Run("no room for the notice", func(t *testing.T) {
		t.Parallel()
		if got, cut := capSummary(bigLog(100), 100); got != "" || !strings.Contains(cut, "100 lines / 10 KB cut") {
			t.Errorf("capSummary = %q, %q", got, cut)
		}
	})
}

func TestDetailsClipsLongLines(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 10000) // 20000 bytes
	md := new(Summary).Details("Last lines", "short\n"+long+"\nend").String()
	want := "short\n" + strings.Repeat("é", MaxLogLine/2) + " … [19500 bytes cut]\nend"
	if !strings.Contains(md, want) {
		t.Errorf("Details = %q, want the long line clipped to %d bytes", md[:200], MaxLogLine)
	}
}

// regexpFind returns the submatches of pattern in text, or nil.
func regexpFind(t *testing.T, pattern, text string) []string {
	t.Helper()
	return regexp.MustCompile(pattern).FindStringSubmatch(text)
}
