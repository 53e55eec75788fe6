package deployswarm

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/sshconn"
	"github.com/twittix/infra/pkg/swarm"
)

// options are the inputs of the action.
type options struct {
	// Where the swarm manager is.
	host, user, key, passphrase, agentSocket, knownHosts, fingerprint string
	port                                                              int
	jumpHost, jumpUser, jumpKey, jumpPassphrase                       string
	jumpKnownHosts, jumpFingerprint                                   string
	jumpPort                                                          int
	insecureIgnoreHostKey                                             bool
	connectTimeout                                                    time.Duration
	connectRetries                                                    int
	dockerSocket, dockerHost                                          string

	// What to deploy, and how.
	stack                      string
	composeFiles, envFiles     []string
	env, envSecrets            string
	envFromRunner              string
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
	local := []string{"docker_host"}
	in.String(&o.host, action.Input{Name: "host", Usage: "Host name or IP address of the Swarm manager to reach over SSH",
		RequiredUnless: local, ConflictsWith: local})
	in.Int(&o.port, action.Input{Name: "port", Default: "22", Min: 1, Max: 65535, Usage: "SSH port of the manager"})
	in.String(&o.user, action.Input{Name: "user", Usage: "SSH user on the manager, allowed to use the Docker socket", RequiredUnless: local})
	in.Multiline(&o.key, action.Input{Name: "ssh_key", Secret: true, Usage: "Private SSH key (OpenSSH or PEM; RSA, ECDSA or Ed25519)",
		RequiredUnless: []string{"docker_host", "ssh_auth_sock"}})
	in.String(&o.passphrase, action.Input{Name: "ssh_passphrase", Secret: true, Usage: "Passphrase of ssh_key, if it has one"})
	in.String(&o.agentSocket, action.Input{Name: "ssh_auth_sock", Usage: "SSH agent socket holding the key, for local runs (e.g. $SSH_AUTH_SOCK)"})
	in.Multiline(&o.knownHosts, action.Input{Name: "known_hosts", Usage: "known_hosts lines of the manager (ssh-keyscan output)"})
	in.String(&o.fingerprint, action.Input{Name: "host_fingerprint", Usage: "SHA256 fingerprint(s) of the manager's host key, e.g. SHA256:..."})
	in.Bool(&o.insecureIgnoreHostKey, action.Input{Name: "insecure_ignore_host_key", Default: "false",
		Usage: "Accept any host key (unsafe: allows a man in the middle to take the key's access)", ConflictsWith: []string{"known_hosts", "host_fingerprint"}})

	in.String(&o.jumpHost, action.Input{Name: "jump_host", Usage: "Jump host (bastion) to reach the manager through"})
	in.Int(&o.jumpPort, action.Input{Name: "jump_port", Default: "22", Min: 1, Max: 65535, Usage: "SSH port of the jump host"})
	in.String(&o.jumpUser, action.Input{Name: "jump_user", Usage: "SSH user on the jump host (default: user)"})
	in.Multiline(&o.jumpKey, action.Input{Name: "jump_ssh_key", Secret: true, Usage: "Private SSH key for the jump host (default: ssh_key)"})
	in.String(&o.jumpPassphrase, action.Input{Name: "jump_ssh_passphrase", Secret: true, Usage: "Passphrase of jump_ssh_key"})
	in.Multiline(&o.jumpKnownHosts, action.Input{Name: "jump_known_hosts", Usage: "known_hosts lines of the jump host (default: known_hosts)"})
	in.String(&o.jumpFingerprint, action.Input{Name: "jump_host_fingerprint", Usage: "SHA256 fingerprint(s) of the jump host's key"})

	in.Duration(&o.connectTimeout, action.Input{Name: "connect_timeout", Default: "15s", Usage: "Time allowed for each SSH connect attempt"})
	in.Int(&o.connectRetries, action.Input{Name: "connect_retries", Default: "3", Min: 0, Max: 20,
		Usage: "Retries of a connect that failed on a network error (never on an authentication or host key error)"})
	in.String(&o.dockerSocket, action.Input{Name: "docker_socket", Default: sshconn.DefaultDockerSocket, Usage: "Path of the Docker socket on the manager"})
	in.String(&o.dockerHost, action.Input{Name: "docker_host", Usage: "Local Docker socket to use instead of SSH, e.g. unix:///var/run/docker.sock (self-hosted runner on the manager)",
		Validate: validateDockerHost})

	in.String(&o.stack, action.Input{Name: "stack_name", Required: true, Usage: "Name of the stack, as in docker stack deploy <name>"})
	in.PathList(&o.composeFiles, action.Input{Name: "compose_files", Default: "docker-compose.yml", MustExist: true,
		Usage: "Compose files, merged in order (comma or newline separated)"})
	in.PathList(&o.envFiles, action.Input{Name: "env_files", MustExist: true, Usage: "Env files (KEY=VALUE lines) that interpolate ${VAR} in the compose files"})
	in.Multiline(&o.env, action.Input{Name: "env", Usage: "KEY=VALUE lines that interpolate ${VAR} in the compose files; they win over env_files",
		Validate: func(v string) error { _, err := swarm.ParseEnvString(v, "env"); return err }})
	in.Multiline(&o.envSecrets, action.Input{Name: "env_secrets", Secret: true,
		Usage:    "KEY=VALUE lines with secret values, each masked; they interpolate like env, and are hidden in every change shown",
		Validate: func(v string) error { _, err := swarm.ParseEnvString(v, "env_secrets"); return err }})
	in.String(&o.envFromRunner, action.Input{Name: "env_from_runner", Default: "false",
		Usage:    "Also interpolate from the runner's environment (lowest precedence): true for GitHub's default GITHUB_* and RUNNER_* variables, or a list of more variable names to pass; never the runner's tokens",
		Validate: func(v string) error { _, _, err := parseEnvFromRunner(v); return err }})
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
	in.Check(func() error {
		if in.IsSet("docker_host") {
			return nil
		}
		return fieldErrors(o.sshConfig().Validate(), func(field string) bool {
			// host, user and ssh_key, when empty, are already reported by their RequiredUnless.
			return in.IsSet(field) || (field != "host" && field != "user" && field != "ssh_key")
		})
	})
}

func validateDockerHost(v string) error {
	if !strings.HasPrefix(v, "unix://") && !strings.HasPrefix(v, "/") {
		return errors.New("only local sockets are supported, e.g. unix:///var/run/docker.sock; to reach a remote daemon set host and the ssh inputs instead")
	}
	return nil
}

// checkEnvKeys refuses a variable set by both env and env_secrets: which one wins would be a
// guess, and the secret could end up shown as a plain value.
func checkEnvKeys(o *options) error {
	env, err1 := swarm.ParseEnvString(o.env, "env")
	secret, err2 := swarm.ParseEnvString(o.envSecrets, "env_secrets")
	if err1 != nil || err2 != nil {
		return nil // reported by the inputs themselves
	}
	var both []string
	for k := range secret {
		if _, ok := env[k]; ok {
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

// sshConfig is the SSH connection the inputs describe.
func (o *options) sshConfig() sshconn.Config {
	cfg := sshconn.Config{
		Endpoint: sshconn.Endpoint{
			Host: o.host, Port: o.port, User: o.user, Key: o.key, Passphrase: o.passphrase,
			AgentSocket: o.agentSocket, KnownHosts: o.knownHosts, HostFingerprint: o.fingerprint,
		},
		InsecureIgnoreHostKey: o.insecureIgnoreHostKey,
		ConnectTimeout:        o.connectTimeout,
		ConnectRetries:        o.connectRetries,
		DockerSocket:          o.dockerSocket,
	}
	if o.connectRetries == 0 {
		cfg.ConnectRetries = sshconn.NoRetries
	}
	if o.jumpHost != "" {
		cfg.Jump = &sshconn.Endpoint{
			Host: o.jumpHost, Port: o.jumpPort, User: o.jumpUser, Key: o.jumpKey, Passphrase: o.jumpPassphrase,
			KnownHosts: o.jumpKnownHosts, HostFingerprint: o.jumpFingerprint,
		}
	}
	return cfg
}

// fieldErrors turns sshconn's field errors into input errors (its field names are our inputs'),
// leaving out the "is required" problems of the fields report says are reported already.
func fieldErrors(err error, report func(field string) bool) error {
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range action.Flatten(err) {
		var fe *sshconn.FieldError
		if errors.As(e, &fe) {
			if strings.HasPrefix(fe.Problem, "is required") && !report(fe.Field) {
				continue
			}
			out = append(out, &action.InputError{Input: fe.Field, Problem: fe.Problem})
			continue
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}
