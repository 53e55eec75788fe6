package deployswarm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"

	"github.com/moby/moby/client"

	"github.com/twittix/infra/internal/sshinputs"
	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/sshconn"
	"github.com/twittix/infra/pkg/swarm"
	"github.com/twittix/infra/pkg/swarm/stackfile"
)

// Command is the deploy-swarm action: `twittix-infra deploy-swarm`.
var Command = action.Command{
	Name:    "deploy-swarm",
	Summary: "Deploy a compose stack to a Docker Swarm over SSH, wait for every service, roll back on failure",
	Setup: func(in *action.Inputs) action.RunFunc {
		o := &options{}
		declare(in, o)
		return func(ctx context.Context, rt *action.Runtime) error { return run(ctx, rt, o) }
	},
}

// run connects to the manager, deploys the stack and reports the result.
func run(ctx context.Context, rt *action.Runtime, o *options) error {
	// Each secret value alone is masked before anything else is printed: the input's masks are
	// its whole KEY=VALUE lines, and a value can show alone (interpolated in a command, say).
	for _, v := range o.secretEnv {
		rt.Mask(v)
	}
	if err := sshinputs.RefuseInsecure(o.ssh.InsecureIgnoreHostKey, rt.InGitHub()); err != nil {
		return err
	}
	opts, err := o.deployOptions(rt)
	if err != nil {
		return err
	}
	cli, disconnect, err := connect(ctx, rt, o)
	if err != nil {
		return err
	}
	defer disconnect()

	res, err := swarm.Deploy(ctx, cli, rt, opts)
	if res != nil {
		if werr := report(rt, res); werr != nil {
			err = errors.Join(err, werr)
		}
	}
	return err
}

// connect returns an Engine API client for the manager, over SSH or a local socket, and the
// function that closes it.
func connect(ctx context.Context, rt *action.Runtime, o *options) (*client.Client, func(), error) {
	end := rt.Group("Connect")
	defer end()
	if o.dockerHost != "" {
		host := o.dockerHost
		if strings.HasPrefix(host, "/") {
			host = "unix://" + host
		}
		cli, err := client.New(client.WithHost(host))
		if err != nil {
			return nil, nil, fmt.Errorf("failed to use the Docker socket %s: %w", host, err)
		}
		ping, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
		if err != nil {
			cli.Close()
			return nil, nil, fmt.Errorf("the Docker daemon at %s does not answer: %w; is docker_host the manager's socket, and is the runner allowed to use it?", host, err)
		}
		rt.Infof("Docker Engine API %s at %s", ping.APIVersion, host)
		return cli, func() { cli.Close() }, nil
	}

	cfg := o.ssh.Config()
	sshinputs.WarnInsecure(rt, cfg)
	ssh, err := sshconn.Dial(ctx, cfg, rt)
	if err != nil {
		return nil, nil, err
	}
	cli, err := ssh.DockerClient(ctx)
	if err != nil {
		ssh.Close()
		return nil, nil, err
	}
	return cli, func() {
		cli.Close()
		st := ssh.Stats()
		rt.Infof("SSH: %d connection(s), %d reconnect(s), %d Docker API channel(s) over %s", st.Connections, st.Reconnects, st.Channels, st.Transport)
		ssh.Close()
	}, nil
}

// deployOptions are the options of swarm.Deploy the inputs describe.
func (o *options) deployOptions(rt *action.Runtime) (swarm.Options, error) {
	opts := swarm.DefaultOptions(o.stack, o.composeFiles...)
	opts.EnvFiles = o.envFiles
	opts.Root = rt.Workspace()
	env := o.env
	opts.SecretEnv = o.secretEnv
	if o.fromRunner.enabled {
		// The runner's allowed variables interpolate too, below env and env_files.
		runner := runnerEnv(rt.Getenv, rt.InGitHub(), o.fromRunner.names)
		merged, err := stackfile.Variables(o.envFiles, env)
		if err != nil {
			return opts, fmt.Errorf("failed to read env_files: %w", err)
		}
		maps.Copy(runner, merged)
		opts.EnvFiles, env = nil, runner
	}
	opts.Env = env
	opts.Prune = o.prune
	opts.WithRegistryAuth = o.withRegistryAuth
	if o.withRegistryAuth {
		opts.Registries = []swarm.RegistryCredential{{Server: o.registry, Username: o.registryUsername, Password: o.registryPassword}}
	}
	opts.ResolveImage = swarm.ResolveImage(o.resolveImage)
	opts.Timeout = o.timeout
	opts.RollbackOnFailure = o.rollbackOnFailure
	opts.DryRun = o.dryRun
	opts.LockWait = o.lockWait
	opts.Holder = holder(rt)
	opts.CleanupBudget = action.CleanupBudget
	return opts, nil
}

// holder names this run in the stack's lock: the workflow run's URL in GitHub Actions.
func holder(rt *action.Runtime) string {
	if url := rt.RunURL(); url != "" {
		return url
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s (pid %d)", host, os.Getpid())
}

// report writes the outputs and the step summary of a result.
func report(rt *action.Runtime, res *swarm.Result) error {
	services, err := servicesJSON(res)
	if err != nil {
		return err
	}
	changed, err := changedJSON(res)
	if err != nil {
		return err
	}
	var errs []error
	for _, out := range []struct{ name, value string }{
		{"services", services},
		{"changed", changed},
		{"duration", durationSeconds(res)},
		{"rolled_back", fmt.Sprint(res.RolledBack)},
	} {
		errs = append(errs, rt.SetOutput(out.name, out.value))
	}
	errs = append(errs, rt.WriteSummary(summary(res)))
	return errors.Join(errs...)
}
