package repotest

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twittix/infra/internal/commands"
	"github.com/twittix/infra/pkg/action"
)

// inputSummary is what must agree between an action.yml and the code.
type inputSummary struct {
	Default  string
	Required bool
}

func TestActionMetadataMatchesCode(t *testing.T) {
	t.Parallel()
	for _, cmd := range commands.All() {
		t.Run(cmd.Name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(Root(), "actions", cmd.Name, "action.yml")
			meta, err := ReadActionMetadata(path)
			if err != nil {
				t.Fatal(err)
			}
			in := cmd.Declare()

			code := map[string]inputSummary{}
			for _, i := range in.Inputs() {
				code[i.Name] = inputSummary{Default: i.Default, Required: i.Required}
			}
			yml := map[string]inputSummary{}
			for name, i := range meta.Inputs {
				yml[name] = inputSummary{Default: deref(i.Default), Required: i.Required}
			}
			if diff := cmp.Diff(code, yml); diff != "" {
				t.Errorf("inputs of %s differ from the code (-code +action.yml):\n%s", path, diff)
			}

			var codeOutputs, ymlOutputs []string
			for _, o := range in.Outputs() {
				codeOutputs = append(codeOutputs, o.Name)
			}
			for name := range meta.Outputs {
				ymlOutputs = append(ymlOutputs, name)
			}
			sort.Strings(codeOutputs)
			sort.Strings(ymlOutputs)
			if diff := cmp.Diff(codeOutputs, ymlOutputs); diff != "" {
				t.Errorf("outputs of %s differ from the code (-code +action.yml):\n%s", path, diff)
			}

			if meta.Runs.Using != "docker" || !strings.HasPrefix(meta.Runs.Image, "docker://ghcr.io/twittix/infra") {
				t.Errorf("%s runs %s %q, want the prebuilt image docker://ghcr.io/twittix/infra...", path, meta.Runs.Using, meta.Runs.Image)
			}
			if want := []string{cmd.Name}; !slices.Equal(meta.Runs.Args, want) {
				t.Errorf("%s runs with args %q, want %q", path, meta.Runs.Args, want)
			}
			checkDocumented(t, path, meta, in)
		})
	}
}

// checkDocumented checks an action.yml documents what a user needs: every input's meaning, its
// default, what it conflicts with or depends on, and an example.
func checkDocumented(t *testing.T, path string, meta *ActionMetadata, in *action.Inputs) {
	t.Helper()
	if meta.Name == "" || meta.Description == "" || meta.Branding.Icon == "" || meta.Branding.Color == "" {
		t.Errorf("%s: name, description and branding (icon, color) are required", path)
	}
	for _, i := range in.Inputs() {
		desc := meta.Inputs[i.Name].Description
		var missing []string
		if strings.TrimSpace(desc) == "" {
			missing = append(missing, "a description")
		}
		if i.Default != "" && !strings.Contains(desc, "Default") {
			missing = append(missing, "its default (a sentence with \"Default\")")
		}
		for _, other := range slices.Concat(i.ConflictsWith, i.RequiredUnless) {
			if !strings.Contains(desc, other) {
				missing = append(missing, "the input "+other+" it conflicts with or depends on")
			}
		}
		if in.Kind(i.Name) != action.KindBool && !strings.Contains(desc, "Example") {
			missing = append(missing, "an example (a line with \"Example\")")
		}
		if len(missing) > 0 {
			t.Errorf("%s: input %s lacks %s", path, i.Name, strings.Join(missing, ", "))
		}
	}
	for _, o := range in.Outputs() {
		if strings.TrimSpace(meta.Outputs[o.Name].Description) == "" {
			t.Errorf("%s: output %s has no description", path, o.Name)
		}
	}
}

var update = flag.Bool("update", false, "rewrite the root action.yml from the commands' declarations")

// TestRootActionIsGenerated checks the root action.yml takes `command` plus every input of every
// action, with no defaults of its own (each command applies its own), and declares every output:
// it must be what RenderRootAction makes of the commands' declarations.
func TestRootActionIsGenerated(t *testing.T) {
	t.Parallel()
	path := filepath.Join(Root(), "action.yml")
	want := RenderRootAction(commands.All())
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("%s is out of date (-want +got); run `go test ./internal/repotest -run TestRootActionIsGenerated -update`:\n%s", path, diff)
	}
	meta, err := ReadActionMetadata(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, i := range meta.Inputs {
		if i.Default != nil || (i.Required != (name == "command")) {
			t.Errorf("%s: input %s must have no default and be optional (only command is required)", path, name)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
