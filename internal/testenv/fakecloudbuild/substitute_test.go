package fakecloudbuild

import (
	"math/rand/v2"
	"strings"
	"testing"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/twittix/infra/pkg/cloudbuild/subst"
)

// TestSubstitute checks the documented rules: $KEY and ${KEY}, $$ for a literal $, any other $
// literal, a key without a value replaced by "".
func TestSubstitute(t *testing.T) {
	t.Parallel()
	values := map[string]string{"_TAG": "v1", "PROJECT_ID": "p", "_A": "a", "_A_B": "ab"}
	tests := []struct{ in, want string }{
		{"gcr.io/$PROJECT_ID/api:$_TAG", "gcr.io/p/api:v1"},
		{"gcr.io/${PROJECT_ID}/api:${_TAG}", "gcr.io/p/api:v1"},
		{"${_A}_B $_A_B", "a_B ab"}, // braces end a key; unbraced, the longest key is read
		{"cost: $$5, $$_TAG", "cost: $5, $_TAG"},
		{"$$$_TAG", "$v1"},
		{"$lower ${_TAG $ $1 ${}", "$lower ${_TAG $ $1 ${}"},
		{"$_UNSET|${_UNSET}|", "||"},
		{"echo $$HOME", "echo $HOME"},
	}
	for _, tc := range tests {
		if got := substitute(tc.in, values); got != tc.want {
			t.Errorf("substitute(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got, want := templateKeys("$$_NOT ${_A}-$PROJECT_ID $_A"), []string{"_A", "PROJECT_ID", "_A"}; !cmp.Equal(got, want) {
		t.Errorf("templateKeys() = %q, want %q", got, want)
	}
}

// TestCheckSubstitutions checks the service's verdicts on the substitutions of builds.
func TestCheckSubstitutions(t *testing.T) {
	t.Parallel()
	step := func(args ...string) []*cloudbuildpb.BuildStep {
		return []*cloudbuildpb.BuildStep{{Name: "ubuntu", Args: args}}
	}
	tests := []struct {
		name        string
		b           *cloudbuildpb.Build
		errs, loose []string
	}{
		{name: "used and given", b: &cloudbuildpb.Build{Steps: step("$_A", "$PROJECT_ID", "$$_ESCAPED"), Substitutions: map[string]string{"_A": "1", "SHORT_SHA": "abc"}},
			loose: []string{`key "SHORT_SHA" in the substitution data is not matched in the template`}},
		{name: "bad keys", b: &cloudbuildpb.Build{Steps: step("$_A $BOGUS"), Substitutions: map[string]string{"_A": "1", "lower": "x", "BUILD_ID": "7"}},
			errs: []string{
				`invalid .substitutions field: substitution key "BUILD_ID" does not respect format "^_[A-Z0-9_]+$" and is not an overridable built-in substitutions`,
				`invalid .substitutions field: substitution key "lower" does not respect format "^_[A-Z0-9_]+$" and is not an overridable built-in substitutions`,
				`key in the template "BOGUS" is not a valid built-in substitution`,
			},
			loose: []string{`key "BUILD_ID" in the substitution data is not matched in the template`, `key "lower" in the substitution data is not matched in the template`}},
		{name: "undefined", b: &cloudbuildpb.Build{Steps: step("${_MISSING}")},
			loose: []string{`key in the template "_MISSING" is not matched in the substitution data; substitutions = map[]`}},
		{name: "automapped", b: &cloudbuildpb.Build{Steps: step("x"), Substitutions: map[string]string{"_A": "1"}, Options: &cloudbuildpb.BuildOptions{AutomapSubstitutions: true}}},
		{name: "dynamic", b: &cloudbuildpb.Build{Steps: step("${_A/x/y}"), Substitutions: map[string]string{"_A": "1"}, Options: &cloudbuildpb.BuildOptions{DynamicSubstitutions: true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			errs, loose := checkSubstitutions(tc.b)
			if diff := cmp.Diff(tc.errs, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.loose, loose); diff != "" {
				t.Errorf("loose problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAgreesWithTheClient compares this implementation of the rules with the client's
// (pkg/cloudbuild/subst) on random templates: the two are written apart, so a disagreement is a
// bug in one of them, to be settled by the documentation.
func TestAgreesWithTheClient(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	parts := []string{"$", "$$", "{", "}", "_", "A", "B1", "a", "-", " ", "PROJECT_ID", "_X"}
	values := map[string]string{"_": "u", "_A": "a", "A": "b", "_X": "x", "PROJECT_ID": "p", "_AB1": "c"}
	for range 5000 {
		var sb strings.Builder
		for n := r.IntN(8); n >= 0; n-- {
			sb.WriteString(parts[r.IntN(len(parts))])
		}
		s := sb.String()
		if got, want := substitute(s, values), subst.Replace(s, values); got != want {
			t.Fatalf("substitute(%q) = %q, the client's Replace %q", s, got, want)
		}
		var clientKeys []string
		for _, p := range subst.Params(s) {
			if !p.Escape() {
				clientKeys = append(clientKeys, p.Key)
			}
		}
		if got := templateKeys(s); !cmp.Equal(got, clientKeys) {
			t.Fatalf("templateKeys(%q) = %q, the client's %q", s, got, clientKeys)
		}
		b := &cloudbuildpb.Build{Steps: []*cloudbuildpb.BuildStep{{Name: "ubuntu", Args: []string{s}}}, Substitutions: map[string]string{}}
		for _, k := range []string{"_", "_A", "A", "_X", "PROJECT_ID", "SHORT_SHA"} {
			if r.IntN(2) == 0 {
				b.Substitutions[k] = "v"
			}
		}
		errs, loose := checkSubstitutions(b)
		report := subst.Check(b)
		if !cmp.Equal(errs, report.Errors, cmpopts.EquateEmpty()) || !cmp.Equal(loose, report.Loose, cmpopts.EquateEmpty()) {
			t.Fatalf("substitutions %v of %q: problems %q and %q, the client's %q and %q", b.Substitutions, s, errs, loose, report.Errors, report.Loose)
		}
	}
}
