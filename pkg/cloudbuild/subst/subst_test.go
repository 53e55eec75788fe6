package subst

import (
	"strings"
	"testing"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		text    string
		want    map[string]string
		wantErr []string
	}{
		{name: "lines", text: "_IMAGE=gcr.io/p/app\n\n# a comment\n  _TAG = v1.2  \r\n_EQ=a=b,c\n", want: map[string]string{"_IMAGE": "gcr.io/p/app", "_TAG": " v1.2", "_EQ": "a=b,c"}},
		{name: "overridable built-in", text: "COMMIT_SHA=abc\nREF_NAME=main\n", want: map[string]string{"COMMIT_SHA": "abc", "REF_NAME": "main"}},
		{name: "empty value", text: "_EMPTY=\n", want: map[string]string{"_EMPTY": ""}},
		{name: "empty text", text: "", want: map[string]string{}},
		{name: "all errors at once", text: "_OK=1\nfoo=bar\nPROJECT_ID=x\nno-equal-sign\n=v\n_OK=2\n_lower=x\n",
			wantErr: []string{
				`line 2: substitution key "foo" does not respect format`,
				`line 3: substitution key "PROJECT_ID" does not respect format`,
				`line 4: "no-equal-sign" is not KEY=value`,
				`line 5: the key is empty`,
				`line 6: _OK is already set on line 1`,
				`line 7: substitution key "_lower"`,
			}},
		{name: "value too long", text: "_BIG=" + strings.Repeat("x", MaxValueLength+1), wantErr: []string{"line 1: the value of _BIG is 4001 characters long"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tc.text)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Parse() = %v, want errors", got)
				}
				lines := strings.Split(err.Error(), "\n")
				if len(lines) != len(tc.wantErr) {
					t.Errorf("got %d errors, want %d:\n%v", len(lines), len(tc.wantErr), err)
				}
				for i, w := range tc.wantErr {
					if i < len(lines) && !strings.Contains(lines[i], w) {
						t.Errorf("error %d = %q, want it to contain %q", i, lines[i], w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuiltins(t *testing.T) {
	t.Parallel()
	sha := "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name string
		gh   GitHub
		want map[string]string
	}{
		{name: "branch push", gh: GitHub{SHA: sha, RefName: "main", RefType: "branch", Repository: "twittix/api"},
			want: map[string]string{"COMMIT_SHA": sha, "REVISION_ID": sha, "SHORT_SHA": "0123456", "BRANCH_NAME": "main", "REF_NAME": "main", "REPO_NAME": "api", "REPO_FULL_NAME": "twittix/api"}},
		{name: "tag push", gh: GitHub{SHA: sha, RefName: "v1.2.0", RefType: "tag", Repository: "twittix/api"},
			want: map[string]string{"COMMIT_SHA": sha, "REVISION_ID": sha, "SHORT_SHA": "0123456", "TAG_NAME": "v1.2.0", "REF_NAME": "v1.2.0", "REPO_NAME": "api", "REPO_FULL_NAME": "twittix/api"}},
		{name: "pull request", gh: GitHub{SHA: "abc", RefName: "42/merge", RefType: "branch", HeadRef: "feature/x", Repository: "twittix/api"},
			want: map[string]string{"COMMIT_SHA": "abc", "REVISION_ID": "abc", "SHORT_SHA": "abc", "BRANCH_NAME": "feature/x", "REF_NAME": "42/merge", "REPO_NAME": "api", "REPO_FULL_NAME": "twittix/api"}},
		{name: "nothing known", gh: GitHub{}, want: map[string]string{}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, tc.gh.Builtins()); diff != "" {
			t.Errorf("%s: Builtins mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestParamsAndReplace(t *testing.T) {
	t.Parallel()
	values := map[string]string{"_A": "x", "PROJECT_ID": "p", "_B1": "y"}
	tests := []struct {
		in, want string
		keys     []string
	}{
		{in: "gcr.io/$PROJECT_ID/app:${_A}", want: "gcr.io/p/app:x", keys: []string{"PROJECT_ID", "_A"}},
		{in: "cost $$5 and $$_A", want: "cost $5 and $_A", keys: nil},
		{in: "$_B1-$_B1x", want: "y-yx", keys: []string{"_B1", "_B1"}}, // lower-case ends a key
		{in: "${_A", want: "${_A"},
		{in: "$home ${lower} $1 $", want: "$home ${lower} $1 $"},
		{in: "$$$_A", want: "$x", keys: []string{"_A"}},
		{in: "${_UNSET}!", want: "!", keys: []string{"_UNSET"}},
	}
	for _, tc := range tests {
		if got := Replace(tc.in, values); got != tc.want {
			t.Errorf("Replace(%q) = %q, want %q", tc.in, got, tc.want)
		}
		var keys []string
		for _, p := range Params(tc.in) {
			if !p.Escape() {
				keys = append(keys, p.Key)
			}
		}
		if diff := cmp.Diff(tc.keys, keys); diff != "" {
			t.Errorf("Params(%q) keys mismatch (-want +got):\n%s", tc.in, diff)
		}
	}
}

func build(subs map[string]string, args ...string) *cloudbuildpb.Build {
	return &cloudbuildpb.Build{
		Steps:         []*cloudbuildpb.BuildStep{{Name: "gcr.io/cloud-builders/docker", Args: args}},
		Substitutions: subs,
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		b      *cloudbuildpb.Build
		errors []string
		loose  []string
	}{
		{name: "all matched", b: build(map[string]string{"_TAG": "v1"}, "build", "-t", "gcr.io/$PROJECT_ID/app:$_TAG", ".")},
		{name: "unused and undefined", b: build(map[string]string{"_UNUSED": "x"}, "echo", "${_MISSING}"),
			loose: []string{
				`key in the template "_MISSING" is not matched in the substitution data; substitutions = map[_UNUSED:x]`,
				`key "_UNUSED" in the substitution data is not matched in the template`,
			}},
		{name: "not a built-in", b: build(nil, "echo", "$HOME and $$HOME"),
			errors: []string{`key in the template "HOME" is not a valid built-in substitution`}},
		{name: "bad key", b: build(map[string]string{"bad": "x"}, "echo", "$bad"),
			errors: []string{`invalid .substitutions field: substitution key "bad" does not respect format "^_[A-Z0-9_]+$" and is not an overridable built-in substitutions`},
			loose:  []string{`key "bad" in the substitution data is not matched in the template`}},
		{name: "built-ins without values are fine", b: build(nil, "echo", "$BUILD_ID $COMMIT_SHA $LOCATION")},
		{name: "other fields count", b: &cloudbuildpb.Build{
			Steps:  []*cloudbuildpb.BuildStep{{Name: "ubuntu", Env: []string{"X=$_ENV"}, Dir: "$_DIR", Entrypoint: "$_EP", Script: "echo $_SCRIPT"}},
			Images: []string{"$_IMG"}, Tags: []string{"$_TAGS"}, LogsBucket: "gs://$_LOGS", ServiceAccount: "$_SA",
			Options:       &cloudbuildpb.BuildOptions{Env: []string{"Y=$_OPTENV"}, Pool: &cloudbuildpb.BuildOptions_PoolOption{Name: "$_POOL"}},
			Substitutions: map[string]string{"_ENV": "", "_DIR": "", "_EP": "", "_SCRIPT": "", "_IMG": "", "_TAGS": "", "_LOGS": "", "_SA": "", "_OPTENV": "", "_POOL": ""},
		}},
		{name: "automap makes unused keys fine", b: &cloudbuildpb.Build{
			Steps:         []*cloudbuildpb.BuildStep{{Name: "ubuntu"}},
			Options:       &cloudbuildpb.BuildOptions{AutomapSubstitutions: true},
			Substitutions: map[string]string{"_X": "1"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := Check(tc.b)
			if diff := cmp.Diff(tc.errors, r.Errors); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.loose, r.Loose); diff != "" {
				t.Errorf("loose mismatch (-want +got):\n%s", diff)
			}
			if err := r.Err(true); (err != nil) != (len(tc.errors) > 0) {
				t.Errorf("Err(loose) = %v", err)
			}
			if err := r.Err(false); (err != nil) != (len(tc.errors)+len(tc.loose) > 0) {
				t.Errorf("Err(strict) = %v", err)
			}
		})
	}
}

func TestWithBuiltins(t *testing.T) {
	t.Parallel()
	b := build(nil, "echo", "$SHORT_SHA $BRANCH_NAME $TAG_NAME $BUILD_ID $_USER")
	gh := GitHub{SHA: "0123456789", RefName: "main", RefType: "branch", Repository: "twittix/api"}
	got := WithBuiltins(b, map[string]string{"_USER": "u", "BRANCH_NAME": "override"}, gh)
	want := map[string]string{"_USER": "u", "BRANCH_NAME": "override", "SHORT_SHA": "0123456"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WithBuiltins mismatch (-want +got):\n%s", diff)
	}
	b.Substitutions = got
	if err := Check(b).Err(false); err != nil {
		t.Errorf("the merged substitutions do not pass Cloud Build's check: %v", err)
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	b := build(map[string]string{"_TAG": "v1"}, "build", "-t", "gcr.io/$PROJECT_ID/app:$_TAG", "--build-arg", "HOME=$$HOME", ".")
	b.Images = []string{"gcr.io/$PROJECT_ID/app:${_TAG}"}
	Apply(b, map[string]string{"PROJECT_ID": "p", "_TAG": "v1"})
	want := []string{"build", "-t", "gcr.io/p/app:v1", "--build-arg", "HOME=$HOME", "."}
	if diff := cmp.Diff(want, b.Steps[0].Args); diff != "" {
		t.Errorf("args mismatch (-want +got):\n%s", diff)
	}
	if b.Images[0] != "gcr.io/p/app:v1" {
		t.Errorf("images[0] = %q", b.Images[0])
	}
}
