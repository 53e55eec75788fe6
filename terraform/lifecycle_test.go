package terraform

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/twittix/infra/pkg/cloudrun"
)

// ownedByActions are the fields of a Cloud Run service the promote action writes at each
// release (pkg/cloudrun: deploy sets the image, the revision name and copies its labels to the
// service and the revision; shift, canary and rollback set the traffic and the two annotations;
// the client libraries stamp client and client_version). Terraform must ignore every one of
// them, or an apply after a canary would move traffic or roll an image back.
var ownedByActions = []string{
	"client",
	"client_version",
	"traffic",
	"labels",
	fmt.Sprintf("annotations[%q]", cloudrun.AnnotationPreviousTraffic),
	fmt.Sprintf("annotations[%q]", cloudrun.AnnotationChange),
	"template[0].revision",
	"template[0].labels",
	"template[0].containers[0].image",
}

// checkIgnoreChanges returns what is wrong with the lifecycle of the Cloud Run services among
// blocks: a missing lifecycle block, or ignore_changes without some field the actions own.
func checkIgnoreChanges(blocks []block) []string {
	var problems []string
	for _, b := range blocks {
		if b.Type != "resource" || len(b.Labels) < 2 {
			continue
		}
		switch b.Labels[0] {
		case "google_cloud_run_service":
			problems = append(problems, fmt.Sprintf("%s: use google_cloud_run_v2_service, whose fields the promote action writes (and this test checks)", b))
			continue
		case "google_cloud_run_v2_service":
		default:
			continue
		}
		var items []string
		found := false
		for _, c := range b.Children() {
			if c.Type == "lifecycle" {
				items, found = c.List("ignore_changes")
			}
		}
		if !found {
			problems = append(problems, fmt.Sprintf("%s: no lifecycle { ignore_changes = [...] }: list %s", b, strings.Join(ownedByActions, ", ")))
			continue
		}
		if slices.Contains(items, "all") {
			problems = append(problems, fmt.Sprintf("%s: ignore_changes = all leaves Terraform nothing to manage: list the fields the actions own instead", b))
			continue
		}
		var missing []string
		for _, want := range ownedByActions {
			if !slices.Contains(items, want) {
				missing = append(missing, want)
			}
		}
		if len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("%s: ignore_changes lacks %s, which the promote action owns", b, strings.Join(missing, ", ")))
		}
	}
	return problems
}

// TestCloudRunServicesIgnoreWhatTheActionsOwn checks every Cloud Run service under terraform/.
// A plan with mock providers cannot show this (it has no remote object whose image changed), so
// the configuration itself is read.
func TestCloudRunServicesIgnoreWhatTheActionsOwn(t *testing.T) {
	t.Parallel()
	services := 0
	for path, src := range tfFiles(t, ".") {
		bs := blocks(path, src)
		for _, b := range bs {
			if b.Type == "resource" && b.Labels[0] == "google_cloud_run_v2_service" {
				services++
			}
		}
		for _, p := range checkIgnoreChanges(bs) {
			t.Error(p)
		}
	}
	if services == 0 {
		t.Fatal("no google_cloud_run_v2_service under terraform/: the check has nothing to check")
	}
}

func TestCheckIgnoreChanges(t *testing.T) {
	t.Parallel()
	full := strings.Join(ownedByActions, ",\n      ")
	tests := []struct {
		name, src string
		want      string // a part of the one problem expected; "" for none
	}{
		{"complete", service(full), ""},
		{"traffic missing", service(strings.Replace(full, "traffic,", "", 1)), "lacks traffic"},
		{"image commented out", service(strings.Replace(full, "template[0].containers[0].image", "# template[0].containers[0].image", 1)), "lacks template[0].containers[0].image"},
		{"annotation of another tool", service(strings.Replace(full, cloudrun.AnnotationChange, "other/last-change", 1)), "twittix-infra/last-change"},
		{"all", "resource \"google_cloud_run_v2_service\" \"s\" {\n  lifecycle {\n    ignore_changes = all\n  }\n}\n", "leaves Terraform nothing"},
		{"no lifecycle", "resource \"google_cloud_run_v2_service\" \"s\" {\n  name = \"web\"\n}\n", "no lifecycle"},
		{"v1 service", "resource \"google_cloud_run_service\" \"s\" {\n}\n", "use google_cloud_run_v2_service"},
		{"other resource", "resource \"google_storage_bucket\" \"b\" {\n}\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := checkIgnoreChanges(blocks("main.tf", tc.src))
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("problems = %q, want none", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Errorf("problems = %q, want one containing %q", got, tc.want)
			}
		})
	}
}

func service(ignore string) string {
	return "resource \"google_cloud_run_v2_service\" \"s\" {\n  template {\n    labels = {}\n  }\n  lifecycle {\n    ignore_changes = [\n      " + ignore + ",\n    ]\n  }\n}\n"
}
