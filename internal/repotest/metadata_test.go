package repotest

import (
	"fmt"
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

// TestRootActionIsTheUnion checks the root action.yml takes `command` plus every input of every
// action, with no defaults of its own (each command applies its own), and declares every output.
func TestRootActionIsTheUnion(t *testing.T) {
	t.Parallel()
	path := filepath.Join(Root(), "action.yml")
	meta, err := ReadActionMetadata(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Runs.Using != "docker" || meta.Runs.Image != "Dockerfile" {
		t.Errorf("%s runs %s %q, want docker Dockerfile (it tests the commit under test)", path, meta.Runs.Using, meta.Runs.Image)
	}
	if want := []string{"${{ inputs.command }}"}; !slices.Equal(meta.Runs.Args, want) {
		t.Errorf("%s args = %q, want %q", path, meta.Runs.Args, want)
	}
	wantInputs := map[string]string{"command": "required"}
	wantOutputs := map[string]bool{"version": true}
	var names []string
	for _, cmd := range commands.All() {
		names = append(names, cmd.Name)
		in := cmd.Declare()
		for _, i := range in.Inputs() {
			wantInputs[i.Name] = "no default"
		}
		for _, o := range in.Outputs() {
			wantOutputs[o.Name] = true
		}
	}
	gotInputs := map[string]string{}
	for name, i := range meta.Inputs {
		switch {
		case i.Required:
			gotInputs[name] = "required"
		case i.Default != nil:
			gotInputs[name] = fmt.Sprintf("default %q", *i.Default)
		default:
			gotInputs[name] = "no default"
		}
	}
	if diff := cmp.Diff(wantInputs, gotInputs); diff != "" {
		t.Errorf("inputs of %s (-want +got):\n%s", path, diff)
	}
	gotOutputs := map[string]bool{}
	for name := range meta.Outputs {
		gotOutputs[name] = true
	}
	if diff := cmp.Diff(wantOutputs, gotOutputs); diff != "" {
		t.Errorf("outputs of %s (-want +got):\n%s", path, diff)
	}
	for _, name := range names {
		if !strings.Contains(meta.Inputs["command"].Description, name) {
			t.Errorf("%s: the command input does not list %s", path, name)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
