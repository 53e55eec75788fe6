// Command twittix-infra runs the twittix deploy actions: deploy-swarm, cloud-build and promote.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/twittix/infra/internal/commands"
	"github.com/twittix/infra/pkg/action"
)

func main() {
	// GitHub sends SIGTERM (after SIGINT) when a job is cancelled: the context tells the action to
	// clean up. A second signal kills the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	os.Exit(action.Main(ctx, os.Args[1:], commands.All()))
}
