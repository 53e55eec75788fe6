package terraform

import (
	"fmt"
	"strings"
	"testing"
)

// checkNoAuthoritativeIAM returns the blocks among blocks that set a whole IAM policy or a whole
// role's members: google_*_iam_policy and google_*_iam_binding resources, and the
// google_iam_policy data source that feeds them. Each would remove grants made by anyone else
// (Google's service agents included); a google_*_iam_member adds one grant and nothing more.
func checkNoAuthoritativeIAM(blocks []block) []string {
	var problems []string
	for _, b := range blocks {
		if len(b.Labels) == 0 {
			continue
		}
		typ := b.Labels[0]
		switch {
		case b.Type == "resource" && (strings.HasSuffix(typ, "_iam_policy") || strings.HasSuffix(typ, "_iam_binding")):
			problems = append(problems, fmt.Sprintf("%s is authoritative: use %s_iam_member", b, typ[:strings.LastIndex(typ, "_iam_")]))
		case b.Type == "data" && typ == "google_iam_policy":
			problems = append(problems, fmt.Sprintf("%s builds an authoritative policy: grant with *_iam_member resources", b))
		}
	}
	return problems
}

func TestNoAuthoritativeIAM(t *testing.T) {
	t.Parallel()
	members := 0
	for path, src := range tfFiles(t, ".") {
		bs := blocks(path, src)
		for _, b := range bs {
			if b.Type == "resource" && strings.HasSuffix(b.Labels[0], "_iam_member") {
				members++
			}
		}
		for _, p := range checkNoAuthoritativeIAM(bs) {
			t.Error(p)
		}
	}
	if members == 0 {
		t.Fatal("no *_iam_member resource under terraform/: the grants are not where this test looks")
	}
}

func TestCheckNoAuthoritativeIAM(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, want string
	}{
		{"member", `resource "google_project_iam_member" "m" {}`, ""},
		{"binding", `resource "google_project_iam_binding" "b" {}`, "use google_project_iam_member"},
		{"policy", `resource "google_storage_bucket_iam_policy" "p" {}`, "use google_storage_bucket_iam_member"},
		{"policy data", `data "google_iam_policy" "p" {}`, "authoritative policy"},
		{"commented out", "# resource \"google_project_iam_policy\" \"p\" {}\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := checkNoAuthoritativeIAM(blocks("main.tf", tc.src+"\n"))
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("problems = %q, want none", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Errorf("problems = %q, want one containing %q", got, tc.want)
			}
		})
	}
}
