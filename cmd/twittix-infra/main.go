// Command twittix-infra runs the twittix deploy actions (deploy-swarm, cloud-build, promote) and
// the developers' tunnel.
package main

import (
	"context"
	"os"

	"github.com/twittix/infra/internal/commands"
	"github.com/twittix/infra/pkg/action"
)

func main() {
	// The first SIGINT or SIGTERM (a cancelled job) cancels the context; the command then cleans
	// up within action.CleanupBudget, later signals notwithstanding.
	ctx, stop := action.NotifyContext(context.Background(), os.Stderr)
	code := action.Main(ctx, os.Args[1:], commands.CLI())
	stop()
	os.Exit(code)
}
