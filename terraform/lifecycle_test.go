package terraform

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/twittix/infra/pkg/cloudrun"
)

// ownedByActions are the fields of a Cloud Run service the promote action writes at each
// release (pkg/cloudrun: deploy sets the image and the revision name; shift, canary and rollback
// set the traffic and the two annotations; the client libraries stamp client and
// client_version). Terraform must ignore every one of them, or an apply after a canary would move
// traffic or roll an image back. The labels deploy sets are only those of promote's labels input
// (pkg/cloudrun copies Request.Labels to the service and the revision): promoteLabelKeys finds
// them in the workflows, and ownedLabels adds them to this list.
var ownedByActions = []string{
	"client",
	"client_version",
	"traffic",
	fmt.Sprintf("annotations[%q]", cloudrun.AnnotationPreviousTraffic),
	fmt.Sprintf("annotations[%q]", cloudrun.AnnotationChange),
	"template[0].revision",
	"template[0].containers[0].image",
}

// wholeLabels are the ignore_changes items that would hide every label, those of the tfvars too.
var wholeLabels = []string{"labels", "template[0].labels"}

// ownedLabels returns ownedByActions with, for each label key promote sets, the key on the
// service and on the revision template.
func ownedLabels(keys []string) []string {
	owned := slices.Clone(ownedByActions)
	for _, k := range keys {
		owned = append(owned, fmt.Sprintf("labels[%q]", k), fmt.Sprintf("template[0].labels[%q]", k))
	}
	return owned
}

// promoteLabelKeys returns the sorted label keys that the promote steps of workflows (file name to
// YAML source) set with their labels input (KEY=VALUE, separated by commas or lines). A step is
// one of this repository's actions when its uses names twittix/infra or ./actions/; of those,
// only promote has a labels input.
func promoteLabelKeys(workflows map[string]string) ([]string, error) {
	var doc struct {
		Jobs map[string]struct {
			Steps []struct {
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	seen := map[string]bool{}
	var errs []error
	for name, src := range workflows {
		doc.Jobs = nil
		if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		for _, job := range doc.Jobs {
			for _, step := range job.Steps {
				if !strings.Contains(step.Uses, "twittix/infra") && !strings.HasPrefix(step.Uses, "./actions/") {
					continue
				}
				for _, item := range strings.FieldsFunc(step.With["labels"], func(r rune) bool { return r == ',' || r == '\n' }) {
					k, _, ok := strings.Cut(strings.TrimSpace(item), "=")
					if !ok || k == "" || strings.Contains(k, "${{") {
						errs = append(errs, fmt.Errorf("%s: the labels item %q of %s has no literal KEY=: Terraform can only ignore a label key known in advance", name, item, step.Uses))
						continue
					}
					seen[k] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(seen)), errors.Join(errs...)
}

// checkIgnoreChanges returns what is wrong with the lifecycle of the Cloud Run services among
// blocks: a missing lifecycle block, ignore_changes without some field of owned (the fields the
// actions own), or ignoring all the labels, which would leave those of the tfvars unapplied.
func checkIgnoreChanges(blocks []block, owned []string) []string {
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
			problems = append(problems, fmt.Sprintf("%s: no lifecycle { ignore_changes = [...] }: list %s", b, strings.Join(owned, ", ")))
			continue
		}
		if slices.Contains(items, "all") {
			problems = append(problems, fmt.Sprintf("%s: ignore_changes = all leaves Terraform nothing to manage: list the fields the actions own instead", b))
			continue
		}
		var missing, whole []string
		for _, want := range owned {
			if !slices.Contains(items, want) {
				missing = append(missing, want)
			}
		}
		for _, w := range wholeLabels {
			if slices.Contains(items, w) {
				whole = append(whole, w)
			}
		}
		if len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("%s: ignore_changes lacks %s, which the promote action owns", b, strings.Join(missing, ", ")))
		}
		if len(whole) > 0 {
			problems = append(problems, fmt.Sprintf("%s: ignore_changes lists %s, which leaves the labels of the tfvars unapplied: list only the keys promote sets, as labels[\"KEY\"] and template[0].labels[\"KEY\"]", b, strings.Join(whole, ", ")))
		}
	}
	return problems
}

// TestCloudRunServicesIgnoreWhatTheActionsOwn checks every Cloud Run service under terraform/.
// A plan with mock providers cannot show this (it has no remote object whose image changed), so
// the configuration itself is read.
func TestCloudRunServicesIgnoreWhatTheActionsOwn(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../.github/workflows/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	examples, _ := filepath.Glob("../examples/workflows/*.yml")
	workflows := map[string]string{}
	for _, f := range append(files, examples...) {
		workflows[f] = read(t, f)
	}
	if len(workflows) == 0 {
		t.Fatal("no workflow under ../.github/workflows: the label keys promote sets cannot be known")
	}
	keys, err := promoteLabelKeys(workflows)
	if err != nil {
		t.Fatal(err)
	}
	owned := ownedLabels(keys)
	services := 0
	for path, src := range tfFiles(t, ".") {
		bs := blocks(path, src)
		for _, b := range bs {
			if b.Type == "resource" && b.Labels[0] == "google_cloud_run_v2_service" {
				services++
			}
		}
		for _, p := range checkIgnoreChanges(bs, owned) {
			t.Error(p)
		}
	}
	if services == 0 {
		t.Fatal("no google_cloud_run_v2_service under terraform/: the check has nothing to check")
	}
}

func TestCheckIgnoreChanges(t *testing.T) {
	t.Parallel()
	owned := ownedLabels([]string{"release"})
	full := strings.Join(owned, ",\n      ")
	tests := []struct {
		name, src string
		want      string // a part of the one problem expected; "" for none
	}{
		{"complete", service(full), ""},
		{"traffic missing", service(strings.Replace(full, "traffic,", "", 1)), "lacks traffic"},
		{"image commented out", service(strings.Replace(full, "template[0].containers[0].image", "# template[0].containers[0].image", 1)), "lacks template[0].containers[0].image"},
		{"annotation of another tool", service(strings.Replace(full, cloudrun.AnnotationChange, "other/last-change", 1)), "twittix-infra/last-change"},
		{"label key of promote missing on the revision", service(strings.Replace(full, `template[0].labels["release"]`, `template[0].labels["other"]`, 1)), `lacks template[0].labels["release"]`},
		{"label key of promote missing on the service", service(strings.Replace(full, `labels["release"],`, "", 1)), `lacks labels["release"]`},
		{"all the service's labels", service(full + ",\n      labels"), "lists labels, which leaves the labels of the tfvars unapplied"},
		{"all the revision's labels", service(full + ",\n      template[0].labels"), "lists template[0].labels,"},
		{"all", "resource \"google_cloud_run_v2_service\" \"s\" {\n  lifecycle {\n    ignore_changes = all\n  }\n}\n", "leaves Terraform nothing"},
		{"no lifecycle", "resource \"google_cloud_run_v2_service\" \"s\" {\n  name = \"web\"\n}\n", "no lifecycle"},
		{"v1 service", "resource \"google_cloud_run_service\" \"s\" {\n}\n", "use google_cloud_run_v2_service"},
		{"other resource", "resource \"google_storage_bucket\" \"b\" {\n}\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := checkIgnoreChanges(blocks("main.tf", tc.src), owned)
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("problems = %q, want none", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Errorf("problems = %q, want one containing %q", got, tc.want)
			}
		})
	}
}

func TestPromoteLabelKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		src     string
		want    []string
		wantErr string
	}{
		{"no labels", "jobs:\n  j:\n    steps:\n      - uses: twittix/infra/actions/promote@v1\n        with:\n          mode: deploy\n", nil, ""},
		{"commas and lines", "jobs:\n  j:\n    steps:\n      - uses: twittix/infra/actions/promote@v1\n        with:\n          labels: |\n            release=${{ github.ref_name }},team=web\n            commit=abc\n", []string{"commit", "release", "team"}, ""},
		{"local action", "jobs:\n  j:\n    steps:\n      - uses: ./actions/promote\n        with:\n          labels: release=v1\n", []string{"release"}, ""},
		{"another action's labels", "jobs:\n  j:\n    steps:\n      - uses: docker/metadata-action@v5\n        with:\n          labels: org.opencontainers.image.title=web\n", nil, ""},
		{"key from an expression", "jobs:\n  j:\n    steps:\n      - uses: twittix/infra/actions/promote@v1\n        with:\n          labels: ${{ inputs.labels }}\n", nil, "no literal KEY="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := promoteLabelKeys(map[string]string{"w.yml": tc.src})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("keys = %q, want %q", got, tc.want)
			}
		})
	}
}

func service(ignore string) string {
	return "resource \"google_cloud_run_v2_service\" \"s\" {\n  template {\n    labels = {}\n  }\n  lifecycle {\n    ignore_changes = [\n      " + ignore + ",\n    ]\n  }\n}\n"
}
