package traffic

import (
	"maps"
	"strings"
	"testing"
)

// FuzzParseSpec checks that a parsed spec is valid and prints back to an equal spec.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"a=10", "LATEST=100", "tag:x=5,revision:y-1=95", "a=60,b=50", "a", "=", ",,", "a=1%,b=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := ParseSpec(spec)
		if err != nil {
			return
		}
		total := 0
		var parts []string
		for _, a := range got {
			if a.Percent < 0 || a.Percent > 100 {
				t.Fatalf("ParseSpec(%q) returned percent %d", spec, a.Percent)
			}
			if a.Kind != ToLatest && !ValidName(a.Name) {
				t.Fatalf("ParseSpec(%q) returned invalid name %q", spec, a.Name)
			}
			total += int(a.Percent)
			parts = append(parts, a.String())
		}
		if total > 100 {
			t.Fatalf("ParseSpec(%q) totals %d", spec, total)
		}
		again, err := ParseSpec(strings.Join(parts, ","))
		if err != nil || len(again) != len(got) {
			t.Fatalf("ParseSpec(%q) printed as %q does not parse back: %v", spec, strings.Join(parts, ","), err)
		}
		for i := range got {
			if again[i] != got[i] {
				t.Fatalf("round trip of %q: %v != %v", spec, again[i], got[i])
			}
		}
	})
}

// FuzzPlan checks that a plan always totals 100 or is an error, honours every assigned percent
// and keeps every tag of the current split.
func FuzzPlan(f *testing.F) {
	f.Add("a=50,b=50#blue", "c=10", "c")
	f.Add("LATEST=100", "a=33", "a")
	f.Add("a=34,b=33,c=33#x", "x=10", "")
	f.Add("a=1,b=1,c=98", "d=99", "d")
	f.Add("a=100", "a=50", "")
	f.Fuzz(func(t *testing.T, current, spec, known string) {
		cur, ok := parseSplit(current)
		if !ok {
			return
		}
		assign, err := ParseSpec(spec)
		if err != nil {
			return
		}
		var knownList []string
		if known != "" {
			knownList = strings.Split(known, ",")
		}
		got, err := Plan(cur, assign, knownList)
		if err != nil {
			return
		}
		if err := Validate(got); err != nil {
			t.Fatalf("Plan(%q, %q) = %q, which is invalid: %v", current, spec, format(got), err)
		}
		for _, a := range assign {
			k, err := Resolve(Normalize(cur), a, knownList)
			if err != nil {
				t.Fatalf("Plan succeeded but %s does not resolve: %v", a, err)
			}
			if p := Percent(got, k, ""); p != a.Percent {
				t.Fatalf("Plan(%q, %q) = %q gives %s %d%%, want %d%%", current, spec, format(got), k, p, a.Percent)
			}
		}
		if want, gotTags := Tags(Normalize(cur)), Tags(got); !maps.Equal(want, gotTags) {
			t.Fatalf("Plan(%q, %q) = %q changed tags %v to %v", current, spec, format(got), want, gotTags)
		}
		for _, tg := range got {
			if tg.GetPercent() == 0 && tg.GetTag() == "" {
				t.Fatalf("Plan(%q, %q) = %q keeps an untagged 0%% target", current, spec, format(got))
			}
		}
	})
}
