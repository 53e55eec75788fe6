package logging

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/twittix/infra/internal/actiontest"
)

func TestNeutralize(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"at the start", "::add-mask::x", "| ::add-mask::x"},
		{"after blanks", "  ::error::boom", "|   ::error::boom"},
		{"v1 at the start", "##[group]x", "## [group]x"},
		{"v1 mid-line", "Step #0: ##[error]pwned", "Step #0: ## [error]pwned"},
		{"v1 repeated", "###[a] ##[b]", "### [a] ## [b]"},
		{"v2 not at the start", "Step #0: ::x::y", "Step #0: ::x::y"},
		{"plain", "plain output", "plain output"},
		{"stop-commands on its own line", "ok\n::stop-commands::tok\nok", "ok\n| ::stop-commands::tok\nok"},
		{"after a lone CR", "50%\r::error::pwned", "50%\r| ::error::pwned"},
		{"after CRLF", "a\r\n::error::pwned\r\n", "a\r\n| ::error::pwned\r\n"},
		{"after NBSP", "\u00a0::error::pwned", "| \u00a0::error::pwned"},
		{"after ideographic space", "\u3000::error::pwned", "| \u3000::error::pwned"},
		{"after an em space and a tab", "\u2003\t::warning::x", "| \u2003\t::warning::x"},
		{"after a C0 separator", "\x1c::error::x", "| \x1c::error::x"},
		{"after NEL", "\u0085::error::x", "| \u0085::error::x"},
		{"empty", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Neutralize(tc.in); got != tc.want {
				t.Errorf("Neutralize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestIsRunnerSpace(t *testing.T) {
	t.Parallel()
	// .NET's char.IsWhiteSpace, as documented, plus the C0 separators.
	spaces := "\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" +
		"\u2028\u2029\u202f\u205f\u3000\x1c\x1d\x1e\x1f"
	for _, r := range spaces {
		if !IsRunnerSpace(r) {
			t.Errorf("IsRunnerSpace(%U) = false, want true", r)
		}
	}
	for _, r := range "a:#|\x00\x1b\u200d\u00ad-" {
		if IsRunnerSpace(r) {
			t.Errorf("IsRunnerSpace(%U) = true, want false", r)
		}
	}
}

// runnerCommands are the commands the runner would read in text.
func runnerCommands(text string) []actiontest.Command {
	return actiontest.ReadAsRunner(text).Commands
}

// pieces are what random texts are made of: command syntax, line ends and white space.
var pieces = []string{"::", "##[", "]", "error", "stop-commands", "x", " ", "\t", "\r", "\n", "\r\n",
	"\u00a0", "\u3000", "\u2028", "\x1c", "\u0085", "#", "[", ":", "| ", "Step #0: ", "é"}

// FuzzNeutralize checks the invariant of Neutralize: the runner reads no command in its result,
// the result keeps the runner's line count, and a second pass changes nothing.
func FuzzNeutralize(f *testing.F) {
	for _, s := range []string{"::error::x", "a\r::error::x", "\u3000::error::x", "a ##[error]x", "::stop-commands::t\n::t::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkNeutralized(t, s)
	})
}

// TestNeutralizeRandomTexts runs the fuzz invariant over random texts made of pieces, so that a
// plain `go test` explores more than the seeds.
func TestNeutralizeRandomTexts(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		checkNeutralized(t, b.String())
	}
}

func checkNeutralized(t *testing.T, s string) {
	t.Helper()
	out := Neutralize(s)
	if cmds := runnerCommands(out); len(cmds) > 0 {
		t.Fatalf("Neutralize(%q) = %q: the runner reads %+v", s, out, cmds)
	}
	if got, want := len(actiontest.ReadAsRunner(out).Lines), len(actiontest.ReadAsRunner(s).Lines); got != want {
		t.Fatalf("Neutralize(%q) = %q: %d lines, want %d", s, out, got, want)
	}
	if again := Neutralize(out); again != out {
		t.Fatalf("Neutralize is not idempotent on %q: %q then %q", s, out, again)
	}
}

// recorder is a Logger without PrintRemote.
type recorder struct{ lines []string }

func (r *recorder) Infof(format string, args ...any) {
	r.lines = append(r.lines, "info: "+fmt.Sprintf(format, args...))
}
func (r *recorder) Warnf(format string, args ...any) {
	r.lines = append(r.lines, "warn: "+fmt.Sprintf(format, args...))
}
func (r *recorder) Group(string) func() { return func() {} }

// blockRecorder is a Logger with PrintRemote.
type blockRecorder struct {
	recorder
	blocks [][]string
}

func (r *blockRecorder) PrintRemote(lines []string) { r.blocks = append(r.blocks, lines) }

func TestRemote(t *testing.T) {
	t.Parallel()
	t.Run("line by line through Neutralize", func(t *testing.T) {
		t.Parallel()
		r := &recorder{}
		Remote(r, "a", "\u00a0::error::x", "b ##[group]y")
		want := []string{"info: a", "info: | \u00a0::error::x", "info: b ## [group]y"}
		if strings.Join(r.lines, "\n") != strings.Join(want, "\n") {
			t.Errorf("lines = %q, want %q", r.lines, want)
		}
	})
	t.Run("as one block", func(t *testing.T) {
		t.Parallel()
		r := &blockRecorder{}
		Remote(r, "a", "::error::x")
		Remote(r) // nothing to print: no block
		if len(r.blocks) != 1 || len(r.lines) != 0 || strings.Join(r.blocks[0], "|") != "a|::error::x" {
			t.Errorf("blocks = %q, lines = %q; want one block of both lines", r.blocks, r.lines)
		}
	})
}
