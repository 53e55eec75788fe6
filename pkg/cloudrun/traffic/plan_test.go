package traffic

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		current string
		spec    string
		known   []string
		want    string
		wantErr string // substring of the error; empty when no error is expected
	}{
		{name: "new revision takes a share from the only one", current: "a=100", spec: "b=10", known: []string{"b"}, want: "a=90,b=10"},
		{name: "unnamed targets are scaled in proportion", current: "a=50,b=30,c=20", spec: "c=60", want: "a=25,b=15,c=60"},
		{name: "rounding remainder goes to the largest fractions", current: "a=34,b=33,c=33", spec: "d=10", known: []string{"d"}, want: "a=30,b=30,c=30,d=10"},
		{name: "rounding tie goes to the smaller name", current: "b=50,a=50", spec: "c=33", known: []string{"c"}, want: "b=33,a=34,c=33"},
		{name: "rounding with two named targets", current: "a=70,b=20,c=10", spec: "a=0,d=50", known: []string{"d"}, want: "b=33,c=17,d=50"},
		{name: "all traffic to a new revision drops the others", current: "a=60,b=40", spec: "c=100", known: []string{"c"}, want: "c=100"},
		{name: "zero target dropped but its tag kept", current: "a=60#blue,b=40", spec: "b=100", want: "a=0#blue,b=100"},
		{name: "setting a serving target to zero gives its share to the others", current: "a=50,b=25,c=25", spec: "a=0", want: "b=50,c=50"},
		{name: "tag names its revision", current: "a=100,b=0#canary", spec: "canary=50", want: "a=50,b=0#canary,b=50"},
		{name: "explicit tag prefix", current: "a=100,b=0#canary", spec: "tag:canary=100", want: "b=0#canary,b=100"},
		{name: "explicit revision prefix", current: "a=100", spec: "revision:b=30", known: []string{"b"}, want: "a=70,b=30"},
		{name: "tag on a serving target keeps it", current: "a=100#prod", spec: "b=20", known: []string{"b"}, want: "a=80#prod,b=20"},
		{name: "to LATEST", current: "a=70,b=30", spec: "LATEST=100", want: "LATEST=100"},
		{name: "LATEST scaled like any target", current: "LATEST=80,a=20", spec: "a=50", want: "LATEST=50,a=50"},
		{name: "empty current means LATEST at 100", current: "", spec: "b=20", known: []string{"b"}, want: "LATEST=80,b=20"},
		{name: "two targets of one revision are merged", current: "a=50,a=20#x,b=30", spec: "b=40", want: "a=60,a=0#x,b=40"},
		{name: "full explicit split", current: "a=100", spec: "a=25,b=75", known: []string{"b"}, want: "a=25,b=75"},
		{name: "same percents give the same split", current: "a=90,b=10#canary", spec: "a=90", want: "a=90,b=10#canary"},
		{name: "over 100 in total", current: "a=100", spec: "a=60,b=50", known: []string{"b"}, wantErr: "over 100% of traffic is assigned (110%)"},
		{name: "percent above 100", current: "a=100", spec: "a=120", wantErr: "percent 120 is out of range"},
		{name: "negative percent", current: "a=100", spec: "a=-1", wantErr: "percent -1 is out of range"},
		{name: "unknown revision or tag", current: "a=100", spec: "nope=10", wantErr: `unknown revision or tag "nope"`},
		{name: "unknown revision refused even at 0%", current: "a=100", spec: "nope=0", wantErr: `unknown revision or tag "nope"`},
		{name: "unknown tag", current: "a=100#prod", spec: "tag:nope=10", wantErr: `unknown tag "nope": the service's tags are prod`},
		{name: "unknown revision", current: "a=100", spec: "revision:b=10", wantErr: `unknown revision "b"`},
		{name: "ambiguous name", current: "a=50,b=50#a", spec: "a=10", wantErr: `"a" is both a tag (of b) and a revision`},
		{name: "tag and revision name the same target", current: "a=100#blue", spec: "blue=10,a=20", wantErr: "blue and a both name a"},
		{name: "current not totalling 100", current: "a=50,b=40", spec: "a=10", wantErr: "the traffic totals 90%, not 100%"},
		{name: "nothing left to take the rest", current: "a=100", spec: "a=50", wantErr: "no other target serves traffic to take the remaining 50%"},
		{name: "all errors at once", current: "a=100", spec: "x=10,y=20", wantErr: `unknown revision or tag "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assign := mustAssign(t, tc.spec)
			got, err := Plan(split(t, tc.current), assign, tc.known)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("Plan(%q, %q) = %q, want error containing %q", tc.current, tc.spec, format(got), tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Plan(%q, %q) error = %q, want it to contain %q", tc.current, tc.spec, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Plan(%q, %q) error = %v", tc.current, tc.spec, err)
			}
			if diff := cmp.Diff(tc.want, format(got)); diff != "" {
				t.Errorf("Plan(%q, %q) mismatch (-want +got):\n%s", tc.current, tc.spec, diff)
			}
			if err := Validate(got); err != nil {
				t.Errorf("planned split is invalid: %v", err)
			}
		})
	}
}

func TestPlanReportsAllErrors(t *testing.T) {
	t.Parallel()
	_, err := Plan(split(t, "a=100"), mustAssign(t, "x=10,y=20"), nil)
	if err == nil {
		t.Fatal("Plan succeeded, want errors for x and y")
	}
	for _, want := range []string{`"x"`, `"y"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

// mustAssign parses a spec without ParseSpec's range checks, so that tests can give Plan
// out-of-range percents.
func mustAssign(t *testing.T, spec string) []Assignment {
	t.Helper()
	var out []Assignment
	for _, item := range strings.Split(spec, ",") {
		name, pct, _ := strings.Cut(item, "=")
		a, err := ParseTarget(name)
		if err != nil {
			t.Fatalf("bad target %q: %v", name, err)
		}
		var p int
		for i, c := range pct {
			if i == 0 && c == '-' {
				continue
			}
			p = p*10 + int(c-'0')
		}
		if strings.HasPrefix(pct, "-") {
			p = -p
		}
		a.Percent = int32(p)
		out = append(out, a)
	}
	return out
}

func TestPinLatest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, current, latest, want, wantErr string
	}{
		{name: "LATEST pinned to the ready revision", current: "LATEST=100", latest: "a", want: "a=100"},
		{name: "LATEST merged into the same revision", current: "LATEST=40,a=60", latest: "a", want: "a=100"},
		{name: "tag on LATEST stays on LATEST", current: "LATEST=30#head,b=70", latest: "a", want: "LATEST=0#head,b=70,a=30"},
		{name: "no LATEST is unchanged", current: "a=50,b=50#x", latest: "c", want: "a=50,b=50#x"},
		{name: "empty traffic is LATEST", current: "", latest: "a", want: "a=100"},
		{name: "no ready revision", current: "LATEST=100", latest: "", wantErr: "no ready revision"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := PinLatest(split(t, tc.current), tc.latest)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("PinLatest error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, format(got)); diff != "" {
				t.Errorf("PinLatest(%q, %q) mismatch (-want +got):\n%s", tc.current, tc.latest, diff)
			}
		})
	}
}

func TestSetTag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, current, tag, revision, want string
	}{
		{name: "new tag", current: "a=100", tag: "sha-1", revision: "b", want: "a=100,b=0#sha-1"},
		{name: "tag moved off a 0% target", current: "a=100,b=0#sha-1", tag: "sha-1", revision: "c", want: "a=100,c=0#sha-1"},
		{name: "tag moved off a serving target keeps its percent", current: "a=100#sha-1", tag: "sha-1", revision: "c", want: "a=100,c=0#sha-1"},
		{name: "other tags untouched", current: "a=100#prod,b=0#old", tag: "new", revision: "c", want: "a=100#prod,b=0#old,c=0#new"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := SetTag(split(t, tc.current), tc.tag, tc.revision)
			if diff := cmp.Diff(tc.want, format(got)); diff != "" {
				t.Errorf("SetTag mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRestore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, current, recorded, want, wantErr string
	}{
		{name: "canary taken back, tags kept", current: "a=50,b=50#sha-2", recorded: "a=100", want: "a=100,b=0#sha-2"},
		{name: "split of three restored", current: "c=100#sha-3", recorded: "a=60,b=40", want: "c=0#sha-3,a=60,b=40"},
		{name: "LATEST restored", current: "a=100", recorded: "LATEST=100", want: "LATEST=100"},
		{name: "invalid record", current: "a=100", recorded: "a=90", wantErr: "totals 90%"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Restore(split(t, tc.current), split(t, tc.recorded))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Restore error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, format(got)); diff != "" {
				t.Errorf("Restore mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncodeDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, split, encoded, decoded string
	}{
		{name: "tags are not recorded", split: "a=90#prod,b=10,c=0#x", encoded: `{"traffic":[{"revision":"a","percent":90},{"revision":"b","percent":10}]}`, decoded: "a=90,b=10"},
		{name: "LATEST", split: "LATEST=100", encoded: `{"traffic":[{"latest":true,"percent":100}]}`, decoded: "LATEST=100"},
		{name: "targets of one revision merged", split: "a=50,a=50#x", encoded: `{"traffic":[{"revision":"a","percent":100}]}`, decoded: "a=100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			enc := Encode(split(t, tc.split))
			if enc != tc.encoded {
				t.Errorf("Encode = %s, want %s", enc, tc.encoded)
			}
			dec, err := Decode(enc)
			if err != nil {
				t.Fatal(err)
			}
			if got := format(dec); got != tc.decoded {
				t.Errorf("Decode = %s, want %s", got, tc.decoded)
			}
		})
	}
	for _, bad := range []string{`nope`, `{"traffic":[{"revision":"a","percent":50}]}`, `{"traffic":[{"revision":"A!","percent":100}]}`} {
		if _, err := Decode(bad); err == nil {
			t.Errorf("Decode(%q) succeeded, want an error", bad)
		}
	}
}

func TestEqualAndPercent(t *testing.T) {
	t.Parallel()
	if !Equal(split(t, "a=50,b=50#x"), split(t, "b=50,b=0#x,a=50")) {
		t.Error("Equal is false for two layouts of one split")
	}
	if Equal(split(t, "a=50,b=50#x"), split(t, "a=50,b=50#y")) {
		t.Error("Equal is true for different tags")
	}
	if Equal(split(t, "a=40,b=60"), split(t, "a=50,b=50")) {
		t.Error("Equal is true for different percents")
	}
	if got := Percent(split(t, "LATEST=30,a=70"), "b", "b"); got != 30 {
		t.Errorf("Percent of the latest revision = %d, want 30", got)
	}
	if got := Percent(split(t, "LATEST=30,a=70"), "a", "b"); got != 70 {
		t.Errorf("Percent(a) = %d, want 70", got)
	}
}
