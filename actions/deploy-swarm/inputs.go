package deployswarm

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twittix/infra/internal/sshinputs"
	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/sshconn"
	"github.com/twittix/infra/pkg/swarm"
	"github.com/twittix/infra/pkg/swarm/stackfile"
)

// options are the inputs of the action.
type options struct {
	// Where the swarm manager is.
	ssh        sshinputs.Options
	dockerHost string

	// What to deploy, and how.
	stack                      string
	composeFiles, envFiles     []string
	env, secretEnv             map[string]string // env and env_secrets, parsed
	fromRunner                 runnerVars        // env_from_runner, parsed
	prune, withRegistryAuth    bool
	registry, registryUsername string
	registryPassword           string
	resolveImage               string
	timeout, lockWait          time.Duration
	rollbackOnFailure, dryRun  bool
}

// declare declares the inputs and outputs of the action (they must match action.yml; the
// repository tests check it) and the rules that span inputs.
func declare(in *action.Inputs, o *options) {
	sshinputs.Declare(in, &o.ssh, sshinputs.Spec{Local: "docker_host", UserUsage: "SSH user on the manager, allowed to use the Docker socket"})
	in.String(&o.ssh.DockerSocket, action.Input{Name: "docker_socket", Default: sshconn.DefaultDockerSocket, Usage: "Path of the Docker socket on the manager"})
	in.String(&o.dockerHost, action.Input{Name: "docker_host", Usage: "Local Docker socket to use instead of SSH, e.g. unix:///var/run/docker.sock (self-hosted runner on the manager)",
		Validate: validateDockerHost})

	in.String(&o.stack, action.Input{Name: "stack_name", Required: true, Usage: "Name of the stack, as in docker stack deploy <name>"})
	in.PathList(&o.composeFiles, action.Input{Name: "compose_files", Default: "docker-compose.yml", MustExist: true,
		Usage: "Compose files, merged in order (comma or newline separated)"})
	in.PathList(&o.envFiles, action.Input{Name: "env_files", MustExist: true, Usage: "Env files (KEY=VALUE lines) that interpolate ${VAR} in the compose files"})
	envInput(in, &o.env, action.Input{Name: "env", Usage: "KEY=VALUE lines that interpolate ${VAR} in the compose files; they win over env_files"})
	envInput(in, &o.secretEnv, action.Input{Name: "env_secrets", Secret: true,
		Usage: "KEY=VALUE lines with secret values, each masked; they interpolate like env, and are hidden in every change shown"})
	var fromRunner string
	in.String(&fromRunner, action.Input{Name: "env_from_runner", Default: "false",
		Usage: "Also interpolate from the runner's environment (lowest precedence): true for GitHub's default GITHUB_* and RUNNER_* variables, or a list of more variable names to pass; never the runner's tokens",
		Validate: func(v string) (err error) {
			o.fromRunner.enabled, o.fromRunner.names, err = parseEnvFromRunner(v)
			return err
		}})
	in.Bool(&o.prune, action.Input{Name: "prune", Default: "false", Usage: "Remove the stack's services that the compose files no longer define"})
	in.Bool(&o.withRegistryAuth, action.Input{Name: "with_registry_auth", Default: "false", Usage: "Send the registry credentials to the nodes so they can pull private images"})
	in.String(&o.registry, action.Input{Name: "registry", Usage: "Registry of the credentials, e.g. ghcr.io"})
	in.String(&o.registryUsername, action.Input{Name: "registry_username", Usage: "Registry user name"})
	in.String(&o.registryPassword, action.Input{Name: "registry_password", Secret: true, Usage: "Registry password or token"})
	in.Enum(&o.resolveImage, action.Input{Name: "resolve_image", Default: string(swarm.ResolveAlways), Values: []string{"always", "changed", "never"},
		Usage: "When to resolve image tags to digests through the registry, as docker stack deploy --resolve-image"})
	in.Duration(&o.timeout, action.Input{Name: "timeout", Default: "10m", Usage: "How long to wait for the services to converge (and again for a rollback)"})
	in.Bool(&o.rollbackOnFailure, action.Input{Name: "rollback_on_failure", Default: "true", Usage: "Roll back every service this run changed when the deploy fails"})
	in.Bool(&o.dryRun, action.Input{Name: "dry_run", Default: "false", Usage: "Connect, load and compare, print what would change, and change nothing"})
	in.Duration(&o.lockWait, action.Input{Name: "lock_wait", Default: "10m", Usage: "How long to wait while another run deploys the same stack; 0 fails at once"})

	in.Output("services", "JSON list of the stack's services: name, image (with digest), replicas (running/desired) and state")
	in.Output("changed", "JSON list of the names of the services this run created, updated or removed")
	in.Output("duration", "Wall time of the deploy, in seconds")
	in.Output("rolled_back", "true when the deploy failed and the changed services were rolled back")

	in.Check(func() error { return checkRegistry(in, o) })
	in.Check(func() error { return checkEnvKeys(o) })
}

// envInput declares an input of KEY=VALUE lines whose variables are parsed once, when the input
// is read, into *p (nil when the input is not set).
func envInput(in *action.Inputs, p *map[string]string, i action.Input) {
	var text string
	i.Validate = func(string) (err error) {
		*p, err = stackfile.ParseEnvString(text) // as stored, line ends normalised
		return err
	}
	in.Multiline(&text, i)
}

// runnerVars is the env_from_runner input, parsed: whether the runner's variables interpolate,
// and the names passed besides GitHub's defaults.
type runnerVars struct {
	enabled bool
	names   []string
}

func validateDockerHost(v string) error {
	if !strings.HasPrefix(v, "unix://") && !strings.HasPrefix(v, "/") {
		return errors.New("only local sockets are supported, e.g. unix:///var/run/docker.sock; to reach a remote daemon set host and the ssh inputs instead")
	}
	return nil
}

// checkEnvKeys refuses a variable set by both env and env_secrets: which one wins would be a
// guess, and the secret could end up shown as a plain value. (An input that does not parse is
// reported by itself, and holds no variables.)
func checkEnvKeys(o *options) error {
	var both []string
	for k := range o.secretEnv {
		if _, ok := o.env[k]; ok {
			both = append(both, k)
		}
	}
	if len(both) == 0 {
		return nil
	}
	slices.Sort(both)
	return &action.InputError{Input: "env_secrets", Problem: fmt.Sprintf("sets %s, which env sets too; set each variable in one of them (secret values in env_secrets)", strings.Join(both, ", "))}
}

func checkRegistry(in *action.Inputs, o *options) error {
	var errs []error
	if o.withRegistryAuth {
		for _, name := range []string{"registry", "registry_username", "registry_password"} {
			if !in.IsSet(name) {
				errs = append(errs, &action.InputError{Input: name, Problem: "is required when with_registry_auth is true, e.g. registry: ghcr.io"})
			}
		}
	} else if in.IsSet("registry_password") {
		errs = append(errs, &action.InputError{Input: "registry_password", Problem: "is set but with_registry_auth is false; set with_registry_auth: true to send it to the nodes"})
	}
	return errors.Join(errs...)
}
