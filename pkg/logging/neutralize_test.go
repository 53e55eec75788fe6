package logging

import "testing"

func TestNeutralize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"::add-mask::x":                "| ::add-mask::x",
		"  ::error::boom":              "|   ::error::boom",
		"##[group]x":                   "| ##[group]x",
		"Step #0: ::x::y":              "Step #0: ::x::y", // not at the start of the line: harmless
		"plain output":                 "plain output",
		"ok\n::stop-commands::tok\nok": "ok\n| ::stop-commands::tok\nok",
	} {
		if got := Neutralize(in); got != want {
			t.Errorf("Neutralize(%q) = %q, want %q", in, got, want)
		}
	}
}
