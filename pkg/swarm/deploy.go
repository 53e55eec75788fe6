package swarm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/docker/cli/cli/compose/convert"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/twittix/infra/pkg/logging"
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
// file where possible (see FileErrors). The package documentation lists what a user must know.
func Deploy(ctx context.Context, c Client, log logging.Logger, opts Options) (*Result, error) {
	start := time.Now()
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("invalid deploy options: %w", err)
	}
	project, err := Load(opts.LoadOptions)
	if err != nil {
		return nil, err
	}
	for _, w := range project.Warnings {
		log.Warnf("%s", w)
	}
	d := &deployer{c: c, log: log, opts: opts, project: project, ns: convert.NewNamespace(opts.Stack),
		result:      &Result{Stack: opts.Stack, DryRun: opts.DryRun, Changed: []string{}},
		failedNames: map[string]bool{}, removedNew: map[string]bool{}, rollbackFailed: map[string]bool{},
		rollbacks: map[string]*Timing{}}
	err = d.run(ctx)
	d.result.Duration = time.Since(start)
	return d.result, err
}

// deployer carries one run.
type deployer struct {
	c       Client
	log     logging.Logger
	opts    Options
	project *Project
	ns      convert.Namespace
	result  *Result
	clock   swarmClock
	node    string // the ID of the manager node the client talks to

	services []*desiredService
	prune    []swarm.Service
	netNames map[string]string
	secrets  map[string]*fileObject
	configs  map[string]*fileObject
	targets  map[string]*target // by service name

	applyErrs      map[string]error
	failedNames    map[string]bool
	removedNew     map[string]bool
	rollbackFailed map[string]bool
	rollbacks      map[string]*Timing // by service name: when its rollback ran
	// interrupted is set when the run stopped before it knew how the deploy ended: ctx was
	// cancelled, or the swarm could not be watched. Nothing is rolled back or removed then.
	interrupted bool
}

func (d *deployer) run(ctx context.Context) (err error) {
	if err := d.checkManager(ctx); err != nil {
		return err
	}
	if !d.opts.DryRun {
		holder := d.opts.Holder
		if holder == "" {
			holder = defaultHolder()
		}
		l, err := acquireLock(ctx, d.c, d.log, d.opts.Stack, holder, d.opts.LockTTL, d.opts.LockWait)
		if err != nil {
			return err
		}
		defer func() {
			if rerr := l.release(ctx); rerr != nil {
				d.log.Warnf("%v: remove it with `docker config rm %s`", rerr, lockName(d.opts.Stack))
			}
		}()
	}
	if err := d.plan(ctx); err != nil {
		return err
	}
	if d.opts.DryRun {
		d.reportDryRun()
		return nil
	}
	d.applyErrs = d.apply(ctx)
	var failed []*target
	if err = ctx.Err(); err == nil {
		failed, err = d.waitAll(ctx, d.applyErrs)
	}
	if err == nil && len(failed) > 0 {
		for _, t := range failed {
			d.failedNames[t.name] = true
		}
		err = d.fail(ctx, failed)
	}
	if err != nil {
		d.interrupted = true
		d.finish(ctx)
		if ctx.Err() != nil {
			return fmt.Errorf("deploy of stack %s interrupted, without rollback: %w", d.opts.Stack, err)
		}
		return err
	}
	d.finish(ctx)
	return d.result.failureError()
}

// checkManager fails unless the daemon is a swarm manager, and reads the manager's clock.
func (d *deployer) checkManager(ctx context.Context) error {
	info, err := d.c.Info(ctx, client.InfoOptions{})
	if err != nil {
		return fmt.Errorf("failed to reach the Docker daemon: %w", err)
	}
	if !info.Info.Swarm.ControlAvailable {
		return errors.New(`this node is not a swarm manager: deploy to a manager node, or make this one a manager with "docker swarm init" or "docker swarm join"`)
	}
	d.node = info.Info.Swarm.NodeID
	d.clock = swarmClock{local: time.Now(), remote: time.Now()}
	if t, err := time.Parse(time.RFC3339Nano, info.Info.SystemTime); err == nil {
		d.clock.remote = t
	}
	return nil
}

// plan reads the stack's current state, creates the networks, secrets and configs it lacks
// (unless a dry run), and converts the services.
func (d *deployer) plan(ctx context.Context) error {
	var (
		existing []swarm.Service
		networks []network.Summary
	)
	err := parallel(ctx, 2, 2, func(ctx context.Context, i int) error {
		if i == 0 {
			res, err := d.c.ServiceList(ctx, client.ServiceListOptions{Filters: stackFilter(d.opts.Stack)})
			if err != nil {
				return fmt.Errorf("failed to list the services of stack %s: %w", d.opts.Stack, err)
			}
			existing = res.Items
			return nil
		}
		res, err := d.c.NetworkList(ctx, client.NetworkListOptions{})
		if err != nil {
			return fmt.Errorf("failed to list networks: %w", err)
		}
		networks = res.Items
		return nil
	})
	if err != nil {
		return err
	}
	d.netNames = map[string]string{}
	for _, n := range networks {
		d.netNames[n.ID] = n.Name
	}

	cfg := d.project.Config
	// Ask the registry for the images while the networks, secrets and configs are made. An error
	// on the way cancels the questions still open rather than waiting for a slow registry.
	resolver := &imageResolver{c: d.c, log: d.log}
	var prefetch sync.WaitGroup
	defer prefetch.Wait()
	prefetchCtx, cancelPrefetch := context.WithCancel(ctx)
	defer cancelPrefetch()
	for _, image := range imagesToResolve(d.ns, cfg, existing, d.opts.ResolveImage) {
		auth := ""
		if d.opts.WithRegistryAuth {
			auth, _ = encodedAuth(image, d.opts.Registries)
		}
		prefetch.Go(func() { resolver.resolve(prefetchCtx, image, auth) })
	}

	if d.secrets, d.configs, err = planObjects(d.ns, d.project); err != nil {
		return err
	}
	// Convert the services once before anything is created, so that a bad reference is an input
	// error that leaves the swarm alone; they are converted again once the objects have IDs.
	if _, err := planServices(d.ns, cfg, d.secrets, d.configs, d.opts.Registries, d.opts.WithRegistryAuth); err != nil {
		return err
	}
	missing, err := findObjects(ctx, d.c, d.secrets, d.configs)
	if err != nil {
		return err
	}
	created, err := planNetworks(ctx, d.c, d.ns, cfg, networks, d.opts.DryRun)
	d.result.Networks = created
	if err != nil {
		return err
	}
	if !d.opts.DryRun {
		if err := createObjects(ctx, d.c, missing); err != nil {
			return err
		}
	}
	for _, o := range sortedObjects(d.secrets) {
		if o.created || (d.opts.DryRun && o.id == "" && !o.external) {
			d.result.Secrets = append(d.result.Secrets, o.name)
		}
	}
	for _, o := range sortedObjects(d.configs) {
		if o.created || (d.opts.DryRun && o.id == "" && !o.external) {
			d.result.Configs = append(d.result.Configs, o.name)
		}
	}

	if d.services, err = planServices(d.ns, cfg, d.secrets, d.configs, d.opts.Registries, d.opts.WithRegistryAuth); err != nil {
		return err
	}
	byName := map[string]swarm.Service{}
	for _, s := range existing {
		byName[s.Spec.Name] = s
	}
	attachExisting(d.services, byName)
	if err := settleImages(ctx, resolver, d.services, d.opts.ResolveImage); err != nil {
		return err
	}
	diffServices(d.services, d.netNames)
	secrets := d.opts.secretValues()
	for _, s := range d.services {
		hideSecrets(s.changes, secrets)
	}

	inFiles := map[string]bool{}
	for _, s := range d.services {
		inFiles[s.name] = true
	}
	for _, s := range existing {
		if !inFiles[s.Spec.Name] {
			d.prune = append(d.prune, s)
		}
	}
	return nil
}

func imageOf(spec swarm.ServiceSpec) string {
	if spec.TaskTemplate.ContainerSpec != nil {
		return spec.TaskTemplate.ContainerSpec.Image
	}
	return ""
}
