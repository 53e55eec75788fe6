// Package commands lists the subcommands of twittix-infra, one per action.
package commands

import (
	cloudbuild "github.com/twittix/infra/actions/cloud-build"
	deployswarm "github.com/twittix/infra/actions/deploy-swarm"
	loadtestaction "github.com/twittix/infra/actions/load-test"
	"github.com/twittix/infra/actions/promote"
	"github.com/twittix/infra/pkg/action"
)

// All returns the commands of twittix-infra, in the order --help lists them.
func All() []action.Command {
	return []action.Command{
		deployswarm.Command,
		cloudbuild.Command,
		promote.Command,
		loadtestaction.Command,
	}
}
