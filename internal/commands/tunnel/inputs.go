package tunnel

import (
	"errors"
	"path/filepath"
	"strings"
	"time"

	"github.com/twittix/infra/internal/sshinputs"
	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/sshconn"
	"github.com/twittix/infra/pkg/swarm/stackfile"
	"github.com/twittix/infra/pkg/tunnel"
)

// DefaultHost is the pre-production host, as developers name it in ~/.ssh/config.
const DefaultHost = "twittix-1"

// options are the command's flags.
type options struct {
	host, user, key, passphrase, agentSocket, knownHosts, fingerprint string
	port                                                              int
	jumpHost, jumpUser                                                string
	jumpPort                                                          int
	sshConfig                                                         string
	connectTimeout                                                    time.Duration
	dockerSocket                                                      string

	forwardSpecs []string
	forwards     []tunnel.Forward
	stack        string
	composeFiles []string
	envFiles     []string
	env          map[string]string // the env input, parsed
	check        bool
	checkOnly    bool
}

// declare declares the flags and the rules that span them.
func declare(in *action.Inputs, o *options) {
	in.String(&o.host, action.Input{Name: "host", Default: DefaultHost, Usage: "SSH host: a Host alias of ~/.ssh/config, a host name or an IP address"})
	in.Int(&o.port, action.Input{Name: "port", Min: 1, Max: 65535, Usage: "SSH port (default: ~/.ssh/config's Port, else 22)"})
	in.String(&o.user, action.Input{Name: "user", Usage: "Login name (default: ~/.ssh/config's User, else the local user name)"})
	in.Multiline(&o.key, action.Input{Name: "ssh_key", Secret: true, Usage: "Private SSH key content (default: ~/.ssh/config's IdentityFile, else ~/.ssh/id_*, and the agent)"})
	in.String(&o.passphrase, action.Input{Name: "ssh_passphrase", Secret: true, Usage: "Passphrase of the key, if it has one and is not in the agent"})
	in.String(&o.agentSocket, action.Input{Name: "ssh_auth_sock", Usage: "SSH agent socket (default: $SSH_AUTH_SOCK)"})
	in.Multiline(&o.knownHosts, action.Input{Name: "known_hosts", Usage: "known_hosts lines of the host (default: ~/.ssh/known_hosts)"})
	in.String(&o.fingerprint, action.Input{Name: "host_fingerprint", Usage: "SHA256 fingerprint(s) of the host's key, e.g. SHA256:..."})
	in.String(&o.jumpHost, action.Input{Name: "jump_host", Usage: "Jump host (default: ~/.ssh/config's ProxyJump)"})
	in.Int(&o.jumpPort, action.Input{Name: "jump_port", Min: 1, Max: 65535, Usage: "SSH port of the jump host"})
	in.String(&o.jumpUser, action.Input{Name: "jump_user", Usage: "Login name on the jump host"})
	in.String(&o.sshConfig, action.Input{Name: "ssh_config", Default: "~/.ssh/config", Usage: "OpenSSH client configuration to read; none to read none"})
	in.Duration(&o.connectTimeout, action.Input{Name: "connect_timeout", Default: "15s", Usage: "Time allowed for each SSH connect attempt"})
	in.String(&o.dockerSocket, action.Input{Name: "docker_socket", Default: sshconn.DefaultDockerSocket, Usage: "Docker socket on the host, to read --stack's ports from the swarm"})

	in.List(&o.forwardSpecs, action.Input{Name: "local_forward", Short: "L", Usage: "[bind:]port:host:hostport, as ssh -L; repeat the flag for more"})
	in.String(&o.stack, action.Input{Name: "stack", Usage: "Forward every published port of this stack's services"})
	in.PathList(&o.composeFiles, action.Input{Name: "compose_files", MustExist: true,
		Usage: "The stack's compose files: read --stack's ports from them instead of the swarm (no Docker access needed)"})
	in.PathList(&o.envFiles, action.Input{Name: "env_files", MustExist: true, Usage: "Env files that interpolate ${VAR} in the compose files, as the deploy does"})
	var envText string
	in.Multiline(&envText, action.Input{Name: "env", Usage: "KEY=VALUE lines that interpolate ${VAR} in the compose files; they win over env_files",
		Validate: func(string) (err error) {
			o.env, err = stackfile.ParseEnvString(envText) // as stored, line ends normalised
			return err
		}})
	in.Bool(&o.check, action.Input{Name: "check", Default: "false", Usage: "Open each forwarded port once (HTTP GET /) and print what answers, then keep running"})
	in.Bool(&o.checkOnly, action.Input{Name: "check_only", Default: "false", Usage: "As check, then exit: non-zero when a port does not answer"})

	in.Check(func() error { return o.checkForwards(in) })
}

// checkForwards parses -L and checks that something is to be forwarded.
func (o *options) checkForwards(in *action.Inputs) error {
	var errs []error
	o.forwards = nil
	for _, spec := range o.forwardSpecs {
		f, err := tunnel.ParseForward(spec)
		if err != nil {
			errs = append(errs, &action.InputError{Input: "local_forward", Problem: err.Error()})
			continue
		}
		o.forwards = append(o.forwards, f)
	}
	if len(o.forwardSpecs) == 0 && o.stack == "" {
		errs = append(errs, &action.InputError{Input: "stack", Problem: "or local_forward is required: name the stack to reach (--stack twittix) or a port to forward (-L 8080:localhost:8080)"})
	}
	if (in.IsSet("compose_files") || in.IsSet("env_files") || in.IsSet("env")) && o.stack == "" {
		errs = append(errs, &action.InputError{Input: "compose_files", Problem: "is only used with stack: set --stack too"})
	}
	if strings.TrimSpace(o.jumpHost) == "" && (in.IsSet("jump_port") || in.IsSet("jump_user")) {
		errs = append(errs, &action.InputError{Input: "jump_host", Problem: "is required when jump_port or jump_user is set"})
	}
	return errors.Join(errs...)
}

// local is the connection the flags describe, before ~/.ssh/config and the defaults fill it.
func (o *options) local(getenv func(string) string) sshconn.Local {
	home := getenv("HOME")
	cfgPath := o.sshConfig
	switch {
	case strings.EqualFold(cfgPath, "none"):
		cfgPath = ""
	case cfgPath == "~" || strings.HasPrefix(cfgPath, "~/"):
		cfgPath = filepath.Join(home, cfgPath[1:])
	}
	agent := o.agentSocket
	if agent == "" {
		agent = getenv("SSH_AUTH_SOCK")
	}
	cfg := sshconn.Config{
		Endpoint: sshconn.Endpoint{
			Host: o.host, Port: o.port, User: o.user, Key: o.key, Passphrase: o.passphrase,
			AgentSocket: o.agentSocket, KnownHosts: o.knownHosts, HostFingerprint: o.fingerprint,
		},
		ConnectTimeout: o.connectTimeout,
		DockerSocket:   o.dockerSocket,
		FieldNames:     sshinputs.InputNames,
	}
	if o.jumpHost != "" {
		cfg.Jump = &sshconn.Endpoint{Host: o.jumpHost, Port: o.jumpPort, User: o.jumpUser}
	}
	user := getenv("USER")
	if user == "" {
		user = getenv("LOGNAME")
	}
	return sshconn.Local{Config: cfg, SSHConfig: cfgPath, Home: home, User: user, AgentSocket: agent}
}
