// Package commands lists the subcommands of twittix-infra: one per action, and the tools
// developers run on their machines.
package commands

import (
	cloudbuild "github.com/twittix/infra/actions/cloud-build"
	deployswarm "github.com/twittix/infra/actions/deploy-swarm"
	loadtestaction "github.com/twittix/infra/actions/load-test"
	"github.com/twittix/infra/actions/promote"
	"github.com/twittix/infra/internal/commands/tunnel"
	"github.com/twittix/infra/pkg/action"
)

// All returns the commands that are GitHub Actions (each has actions/<name>/action.yml), in the
// order --help lists them.
func All() []action.Command {
	return []action.Command{
		deployswarm.Command,
		cloudbuild.Command,
		promote.Command,
		loadtestaction.Command,
	}
}

// Tools returns the commands that are not actions: developers run them on their machines.
func Tools() []action.Command {
	return []action.Command{tunnel.Command}
}

// CLI returns every command of the twittix-infra binary: All, then Tools.
func CLI() []action.Command {
	return append(All(), Tools()...)
}
