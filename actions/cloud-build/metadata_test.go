package cloudbuild_test

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	cloudbuild "github.com/twittix/infra/actions/cloud-build"
	"github.com/twittix/infra/internal/repotest"
	"github.com/twittix/infra/pkg/action"
)

// TestActionYAMLMatchesCode checks action.yml declares the inputs (defaults, required) and outputs
// the code declares, documents each input, runs the prebuilt image with the subcommand, and that
// the README documents every input.
func TestActionYAMLMatchesCode(t *testing.T) {
	t.Parallel()
	meta, err := repotest.ReadActionMetadata("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	in := cloudbuild.Command.Declare()
	type summary struct {
		Default  string
		Required bool
	}
	code, yml := map[string]summary{}, map[string]summary{}
	for _, i := range in.Inputs() {
		code[i.Name] = summary{i.Default, i.Required}
	}
	for name, i := range meta.Inputs {
		def := ""
		if i.Default != nil {
			def = *i.Default
		}
		yml[name] = summary{def, i.Required}
	}
	if diff := cmp.Diff(code, yml); diff != "" {
		t.Errorf("inputs (-code +action.yml):\n%s", diff)
	}
	var codeOut, ymlOut []string
	for _, o := range in.Outputs() {
		codeOut = append(codeOut, o.Name)
	}
	for name := range meta.Outputs {
		ymlOut = append(ymlOut, name)
	}
	sort.Strings(codeOut)
	sort.Strings(ymlOut)
	if diff := cmp.Diff(codeOut, ymlOut); diff != "" {
		t.Errorf("outputs (-code +action.yml):\n%s", diff)
	}
	if meta.Runs.Using != "docker" || meta.Runs.Image != "docker://ghcr.io/twittix/infra:v1" || !slices.Equal(meta.Runs.Args, []string{"cloud-build"}) {
		t.Errorf("runs = %+v", meta.Runs)
	}
	if meta.Branding.Icon == "" || meta.Branding.Color == "" {
		t.Error("branding is missing")
	}
	readme, err := os.ReadFile(filepath.Join(".", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range in.Inputs() {
		desc := meta.Inputs[i.Name].Description
		if i.Default != "" && !strings.Contains(desc, "Default") {
			t.Errorf("input %s: the description does not give the default", i.Name)
		}
		if in.Kind(i.Name) != action.KindBool && !strings.Contains(desc, "Example") {
			t.Errorf("input %s: the description has no example", i.Name)
		}
		for _, other := range i.ConflictsWith {
			if !strings.Contains(desc, other) {
				t.Errorf("input %s: the description does not say it conflicts with %s", i.Name, other)
			}
		}
		if !strings.Contains(string(readme), "`"+i.Name+"`") {
			t.Errorf("README.md does not document the input %s", i.Name)
		}
	}
	for _, o := range in.Outputs() {
		if !strings.Contains(string(readme), "`"+o.Name+"`") {
			t.Errorf("README.md does not document the output %s", o.Name)
		}
	}
}
