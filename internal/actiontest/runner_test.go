package actiontest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadAsRunner(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		log  string
		want []string // name::data of each executed command
	}{
		{"plain text", "hello\nworld\n", nil},
		{"v2 at the start", "::error::boom\n", []string{"error::boom"}},
		{"v2 with properties", "::error file=a.go,line=1::boom", []string{"error::boom"}},
		{"v2 after a lone CR", "progress 10%\r::error::pwned\n", []string{"error::pwned"}},
		{"v2 after CRLF", "a\r\n::warning::w\r\n", []string{"warning::w"}},
		{"v2 after NBSP", "\u00a0::error::pwned", []string{"error::pwned"}},
		{"v2 after ideographic space", "\u3000\u2003::error::pwned", []string{"error::pwned"}},
		{"v2 after a C0 separator", "\x1f::error::pwned", []string{"error::pwned"}},
		{"v2 not at the start", "Step #0: ::error::x", nil},
		{"v2 after a zero-width joiner", "\u200d::error::x", nil},
		{"v1 mid-line", "Step #0: ##[error]pwned", []string{"error::pwned"}},
		{"v2 wins over v1", "::warning::a ##[error]b", []string{"warning::a ##[error]b"}},
		{"stop and resume", "::stop-commands::tok\n::error::hidden\n##[group]hidden\n::tok::\n::error::shown",
			[]string{"stop-commands::tok", "tok::", "error::shown"}},
		{"resume in another case and form", "::stop-commands::AbC\n::error::x\nfoo ##[abc]\n::error::y",
			[]string{"stop-commands::AbC", "abc::", "error::y"}},
		{"empty token stops for good", "::stop-commands::\n::error::x\n::::\n", []string{"stop-commands::"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, c := range ReadAsRunner(tc.log).Commands {
				got = append(got, c.Name+"::"+c.Data)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("commands of %q (-want +got):\n%s", tc.log, diff)
			}
		})
	}
}

// errorsTB records the errors of a check instead of failing the test.
type errorsTB struct {
	testing.TB
	errs []string
}

func (e *errorsTB) Helper() {}
func (e *errorsTB) Errorf(format string, args ...any) {
	e.errs = append(e.errs, fmt.Sprintf(format, args...))
}

func TestCheckRemoteText(t *testing.T) {
	t.Parallel()
	const tok = "0123456789abcdef0123456789abcdef"
	cases := []struct {
		name string
		log  string
		want []string // a part of each expected complaint; none for a safe log
	}{
		{"guarded", "::group::x\n::stop-commands::" + tok + "\n| ::error::pwned\n::" + tok + "::\n::error::own\n", nil},
		{"outside a block", "::stop-commands::" + tok + "\nok\n::" + tok + "::\npwned\n", []string{"outside a stop-commands block"}},
		{"executed", "x\r::error::pwned\n", []string{"outside", "would execute \"error\""}},
		{"stopped for good", "::stop-commands::" + tok + "\npwned ::stop-commands::zz\n", []string{"appears 1 times", "ends with commands stopped"}},
		{"token in the text", "::stop-commands::" + tok + "\npwned " + strings.ToUpper(tok) + "x\n::" + tok + "::\n", []string{"appears 3 times"}},
		{"short token", "::stop-commands::abc\npwned\n::abc::\n", []string{"too short"}},
		{"no payload", "hello\n", []string{"no line with"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &errorsTB{}
			CheckRemoteText(rec, tc.log, "PWNED")
			if len(rec.errs) != len(tc.want) {
				t.Fatalf("complaints = %q, want %d of them (%q)", rec.errs, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(rec.errs[i], w) {
					t.Errorf("complaint %d = %q, want it to say %q", i, rec.errs[i], w)
				}
			}
		})
	}
}

func TestUnwrapped(t *testing.T) {
	t.Parallel()
	log := "::group::g\n::stop-commands::tok1\na\n::stop-commands::x\n::TOK1::\n::endgroup::\n::stop-commands::tok2\nb\r\n::tok2::\n"
	if got, want := Unwrapped(log), "::group::g\na\n::stop-commands::x\n::endgroup::\nb\n"; got != want {
		t.Errorf("Unwrapped = %q, want %q", got, want)
	}
}
