package repotest

import (
	"fmt"
	"strings"

	"github.com/twittix/infra/pkg/action"
)

const rootHeader = `# Generated from the commands' input declarations by
#   go test ./internal/repotest -run TestRootActionIsGenerated -update
# Edit the header in internal/repotest/rootaction.go, and each input in its action's Go code.
name: twittix-infra (from source)
description: >-
  Runs any twittix-infra command from this repository's Dockerfile, building the image from the
  checked-out commit. This repository's own CI uses it to test the commit under test; everyone else
  uses the prebuilt sub-actions (twittix/infra/actions/deploy-swarm, cloud-build, promote), which
  start in seconds instead of building Go in every job.
author: twittix
branding:
  icon: package
  color: blue
`

// RenderRootAction renders the root action.yml: the command input, then the union of the inputs
// of every command with no defaults (each command applies its own), and the union of outputs.
func RenderRootAction(commands []action.Command) string {
	type use struct{ command, usage string }
	var inputOrder, outputOrder, names []string
	inputs := map[string][]use{}
	outputs := map[string][]use{}
	for _, cmd := range commands {
		names = append(names, cmd.Name)
		in := cmd.Declare()
		for _, i := range in.Inputs() {
			if _, seen := inputs[i.Name]; !seen {
				inputOrder = append(inputOrder, i.Name)
			}
			inputs[i.Name] = append(inputs[i.Name], use{cmd.Name, i.Usage})
		}
		for _, o := range in.Outputs() {
			if _, seen := outputs[o.Name]; !seen {
				outputOrder = append(outputOrder, o.Name)
			}
			outputs[o.Name] = append(outputs[o.Name], use{cmd.Name, o.Description})
		}
	}

	var b strings.Builder
	b.WriteString(rootHeader)
	b.WriteString("inputs:\n  command:\n    description: |-\n")
	fmt.Fprintf(&b, "      The command to run: %s or version. Every other input is an input of that\n", strings.Join(names, ", "))
	b.WriteString("      command, with the meaning and default of its own action (actions/<command>/action.yml);\n")
	b.WriteString("      here no input has a default, so that each command applies its own.\n")
	b.WriteString("      Example: `command: deploy-swarm`\n    required: true\n")
	for _, name := range inputOrder {
		fmt.Fprintf(&b, "  %s:\n    description: |-\n", name)
		for _, u := range inputs[name] {
			fmt.Fprintf(&b, "      %s: %s\n", u.command, oneLine(u.usage))
		}
		b.WriteString("    required: false\n")
	}
	b.WriteString("outputs:\n  version:\n    description: |-\n      version: The version of twittix-infra.\n")
	for _, name := range outputOrder {
		fmt.Fprintf(&b, "  %s:\n    description: |-\n", name)
		for _, u := range outputs[name] {
			fmt.Fprintf(&b, "      %s: %s\n", u.command, oneLine(u.usage))
		}
	}
	b.WriteString("runs:\n  using: docker\n  image: Dockerfile\n  args:\n    - ${{ inputs.command }}\n")
	return b.String()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
