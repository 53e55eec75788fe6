package subst

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that what it accepts are valid keys, and that writing
// the result back as lines parses to the same map.
func FuzzParse(f *testing.F) {
	f.Add("_A=1\n_B = two\n# c\nCOMMIT_SHA=x\n")
	f.Add("bad\n=x\n_A=1\n_A=2\n")
	f.Add("_X==\r\n\n  _Y=a=b  ")
	f.Fuzz(func(t *testing.T, text string) {
		subs, err := Parse(text)
		if err != nil {
			return
		}
		var b strings.Builder
		for _, k := range sortedKeys(subs) {
			if CheckKey(k) != nil {
				t.Fatalf("Parse(%q) accepted the bad key %q", text, k)
			}
			fmt.Fprintf(&b, "%s=%s\n", k, subs[k])
		}
		again, err := Parse(b.String())
		if err != nil {
			t.Fatalf("re-parsing %q: %v", b.String(), err)
		}
		if len(again) != len(subs) {
			t.Fatalf("round trip of %q: %d keys, then %d", text, len(subs), len(again))
		}
		for k, v := range again {
			if subs[k] != v {
				t.Errorf("round trip of %q: %s = %q, then %q", text, k, subs[k], v)
			}
		}
	})
}

// FuzzParams checks that parameters are ordered, disjoint, well-formed, and that Replace with no
// values removes exactly them (escapes become "$").
func FuzzParams(f *testing.F) {
	f.Add("gcr.io/$PROJECT_ID/app:${_TAG} $$HOME ${_X")
	f.Add("$$$_A$")
	f.Fuzz(func(t *testing.T, s string) {
		var want strings.Builder
		last := 0
		for _, p := range Params(s) {
			if p.Start < last || p.End > len(s) || p.Start >= p.End {
				t.Fatalf("Params(%q): bad bounds %+v after %d", s, p, last)
			}
			text := s[p.Start:p.End]
			switch {
			case p.Escape() && text != "$$":
				t.Fatalf("Params(%q): escape spans %q", s, text)
			case !p.Escape() && text != "$"+p.Key && text != "${"+p.Key+"}":
				t.Fatalf("Params(%q): %q does not spell key %q", s, text, p.Key)
			case !p.Escape() && !UserKeyRE.MatchString(p.Key) && !isKey(p.Key):
				t.Fatalf("Params(%q): bad key %q", s, p.Key)
			}
			want.WriteString(s[last:p.Start])
			if p.Escape() {
				want.WriteByte('$')
			}
			last = p.End
		}
		want.WriteString(s[last:])
		if got := Replace(s, nil); got != want.String() {
			t.Errorf("Replace(%q, nil) = %q, want %q", s, got, want.String())
		}
	})
}

func isKey(k string) bool {
	if k == "" || !isKeyStart(k[0]) {
		return false
	}
	for i := 1; i < len(k); i++ {
		if !isKeyChar(k[i]) {
			return false
		}
	}
	return true
}
