package tunnel

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/sshconn"
	"github.com/twittix/infra/pkg/swarm/stackfile"
	"github.com/twittix/infra/pkg/tunnel"
)

// Command is `twittix-infra tunnel`.
var Command = action.Command{
	Name:    "tunnel",
	Summary: "Forward local ports to the pre-production host over SSH (-L, or every published port of --stack)",
	// Ctrl-C is how a developer closes the tunnel: not a failure.
	UntilInterrupted: true,
	Setup: func(in *action.Inputs) action.RunFunc {
		o := &options{}
		declare(in, o)
		return func(ctx context.Context, rt *action.Runtime) error { return run(ctx, rt, o) }
	},
}

// run connects, works out the forwards, binds them, prints the table, and forwards until ctx ends.
func run(ctx context.Context, rt *action.Runtime, o *options) error {
	cfg, err := o.local(rt.Getenv).Resolve()
	if err != nil {
		return err
	}
	c, err := sshconn.Dial(ctx, cfg, rt)
	if err != nil {
		return err
	}
	defer c.Close()

	forwards := o.forwards
	if o.stack != "" {
		ports, err := o.stackPorts(ctx, rt, c)
		if err != nil {
			return err
		}
		if len(ports) == 0 {
			rt.Warnf("stack %s publishes no TCP port: nothing to forward for it", o.stack)
		}
		forwards = append(forwards, tunnel.StackForwards(ports)...)
	}
	if len(forwards) == 0 {
		return errors.New("nothing to forward")
	}
	t, err := tunnel.Open(forwards, rt)
	if err != nil {
		return err
	}
	defer t.Close()
	rt.Infof("Forwarding over %s:\n%s", cfg.Host, strings.TrimRight(tunnel.Table(t.Bindings()), "\n"))

	serveCtx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- t.Serve(serveCtx, c) }()
	if o.check || o.checkOnly {
		failed := report(rt, tunnel.Check(serveCtx, t.Bindings()))
		if o.checkOnly {
			stop()
			<-served
			if failed > 0 {
				return fmt.Errorf("%d forwarded port(s) did not answer", failed)
			}
			return nil
		}
	}
	rt.Infof("Press Ctrl-C to close the tunnel.")
	return <-served
}

// report prints each check's result and returns how many failed.
func report(rt *action.Runtime, results []tunnel.CheckResult) int {
	failed := 0
	for _, r := range results {
		name := r.Binding.Name
		if name == "" {
			name = r.Binding.Remote()
		}
		if r.Err != nil {
			failed++
			rt.Warnf("check %s (%s): %s", name, r.Binding.URL(), r)
			continue
		}
		rt.Infof("check %s (%s): %s", name, r.Binding.URL(), r)
	}
	return failed
}

// stackPorts reads the stack's published ports: from its compose files when given (no Docker
// access needed), else from the swarm over the same SSH connection.
func (o *options) stackPorts(ctx context.Context, rt *action.Runtime, c *sshconn.Client) ([]tunnel.PublishedPort, error) {
	if len(o.composeFiles) > 0 {
		ports, err := tunnel.ComposePorts(stackfile.LoadOptions{Files: o.composeFiles, EnvFiles: o.envFiles, Env: o.env})
		if err != nil {
			return nil, fmt.Errorf("failed to read the ports of stack %s from compose_files: %w", o.stack, err)
		}
		return ports, nil
	}
	docker, err := c.DockerClient(ctx)
	if err != nil {
		return nil, fmt.Errorf("failed to read the ports of stack %s from the swarm: %w; if your account may not use Docker there, give the stack's compose files with --compose-files", o.stack, err)
	}
	defer docker.Close()
	ports, err := tunnel.StackPorts(ctx, docker, o.stack)
	if err != nil {
		return nil, err
	}
	rt.Infof("stack %s: %d published port(s) from the swarm", o.stack, len(ports))
	return ports, nil
}
