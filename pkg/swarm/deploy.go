package swarm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docker/cli/cli/compose/convert"
	"github.com/moby/moby/client"
	"github.com/twittix/infra/pkg/logging"
	"github.com/twittix/infra/pkg/swarm/stackfile"
)

// Deploy deploys the compose files of opts as the stack opts.Stack, like `docker stack deploy
// --detach=false`, then waits for all its services at once, and rolls back on failure.
//
// It returns a Result in every case where it reached the swarm. On a failed deploy the error is
// a *DeployError and the Result names the failing services with their task errors and logs.
// When ctx is cancelled during the wait, or the swarm cannot be watched any more, Deploy stops
// waiting, releases the stack's lock, neither rolls back (Swarm goes on with the updates it
// started) nor removes secrets and configs, and returns the error with a Result whose unfinished
// services are "pending". Input errors come back before the swarm is touched, located in their
// file where possible (see stackfile.FileErrors). The package documentation lists what a user must know.
func Deploy(ctx context.Context, c Client, log logging.Logger, opts Options) (*Result, error) {
	start := time.Now()
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("invalid deploy options: %w", err)
	}
	project, err := stackfile.Load(opts.LoadOptions)
	if err != nil {
		return nil, err
	}
	for _, w := range project.Warnings {
		log.Warnf("%s", w)
	}
	r := &run{c: c, log: log, opts: opts, ns: convert.NewNamespace(opts.Stack)}
	res := &Result{Stack: opts.Stack, DryRun: opts.DryRun, Changed: []string{}}
	err = r.deploy(ctx, project, res)
	res.Duration = time.Since(start)
	return res, err
}

// run is what every step of one deploy shares: where, what with, and the manager's clock. The
// steps pass the plan and the outcomes of the services from one to the next.
type run struct {
	c     Client
	log   logging.Logger
	opts  Options
	ns    convert.Namespace
	clock swarmClock
	node  string // the ID of the manager node the client talks to
}

// deploy runs the steps: check the manager, plan (and stop there on a dry run), take the lock,
// apply, wait, roll back on failure, and clean up.
func (r *run) deploy(ctx context.Context, project *stackfile.Project, res *Result) error {
	if err := r.checkManager(ctx); err != nil {
		return err
	}
	if r.opts.DryRun {
		p, err := r.plan(ctx, project)
		if err != nil {
			return err
		}
		r.reportDryRun(p, res)
		return nil
	}
	l, err := r.lock(ctx)
	if err != nil {
		return err
	}
	p, err := r.plan(ctx, project)
	if err != nil {
		r.release(ctx, l)
		return err
	}
	outcomes, err := r.apply(ctx, p, res)
	if err != nil {
		r.release(ctx, l)
		return err
	}
	err = ctx.Err()
	if err == nil {
		err = r.waitAndRollback(ctx, p, outcomes, res)
	}
	r.finish(ctx, l, p, outcomes, res, err != nil)
	switch {
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("deploy of stack %s interrupted, without rollback: %w", r.opts.Stack, err)
	case err != nil:
		return err
	}
	return res.failureError()
}

// waitAndRollback waits for the services, and when some fail, diagnoses them and rolls back.
func (r *run) waitAndRollback(ctx context.Context, p *plan, outcomes []*outcome, res *Result) error {
	failed, err := r.waitAll(ctx, p, outcomes)
	if err != nil || len(failed) == 0 {
		return err
	}
	return r.fail(ctx, p, outcomes, failed, res)
}

// checkManager fails unless the daemon is a swarm manager, and reads the manager's clock.
func (r *run) checkManager(ctx context.Context) error {
	info, err := r.c.Info(ctx, client.InfoOptions{})
	if err != nil {
		return fmt.Errorf("failed to reach the Docker daemon: %w", err)
	}
	if !info.Info.Swarm.ControlAvailable {
		return errors.New(`this node is not a swarm manager: deploy to a manager node, or make this one a manager with "docker swarm init" or "docker swarm join"`)
	}
	r.node = info.Info.Swarm.NodeID
	r.clock = swarmClock{local: time.Now(), remote: time.Now()}
	if t, err := time.Parse(time.RFC3339Nano, info.Info.SystemTime); err == nil {
		r.clock.remote = t
	}
	return nil
}
