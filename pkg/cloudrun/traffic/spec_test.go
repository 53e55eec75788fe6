package traffic

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec    string
		want    []Assignment
		wantErr []string
	}{
		{spec: "sha-1a2b3c4=10", want: []Assignment{{Kind: ByName, Name: "sha-1a2b3c4", Percent: 10}}},
		{spec: " a=10 , LATEST=90% ", want: []Assignment{{Name: "a", Percent: 10}, {Kind: ToLatest, Percent: 90}}},
		{spec: "tag:blue=0,revision:web-00002-abc=100", want: []Assignment{{Kind: ByTag, Name: "blue"}, {Kind: ByRevision, Name: "web-00002-abc", Percent: 100}}},
		{spec: "", wantErr: []string{"empty traffic spec"}},
		{spec: "a", wantErr: []string{`item "a" has no percent`}},
		{spec: "a=120", wantErr: []string{"percent 120 is out of range"}},
		{spec: "a=x", wantErr: []string{`percent "x" is not an integer`}},
		{spec: "A=10", wantErr: []string{`invalid target "A"`}},
		{spec: "=10", wantErr: []string{"empty target"}},
		{spec: "tag:=10", wantErr: []string{"empty target"}},
		{spec: "a=10,a=20", wantErr: []string{"target a appears more than once"}},
		{spec: "a=60,b=50", wantErr: []string{"assigns 110% of traffic"}},
		{spec: "a=200,B=1,c", wantErr: []string{"percent 200", `invalid target "B"`, `item "c"`}},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSpec(tc.spec)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("ParseSpec(%q) = %v, want an error", tc.spec, got)
				}
				for _, want := range tc.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("ParseSpec(%q) error %q does not contain %q", tc.spec, err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSpec(%q) error = %v", tc.spec, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseSpec(%q) mismatch (-want +got):\n%s", tc.spec, diff)
			}
		})
	}
}
