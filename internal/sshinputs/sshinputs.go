// Package sshinputs declares the SSH inputs every action that reaches the Swarm manager shares
// (host, user, ssh_key, known_hosts, jump_host, ...), with the same names, defaults, host-key
// rules and messages, and turns them into an sshconn.Config whose keys are parsed once, when the
// inputs are checked. InputNames is the one table of the input names of sshconn's fields.
//
// actions/deploy-swarm and actions/load-test declare their SSH inputs with it and apply its
// host-key rule for GitHub Actions.
package sshinputs

import (
	"cmp"
	"errors"
	"time"

	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/sshconn"
)

// Options are the values of the SSH inputs.
type Options struct {
	Host, User, Key, Passphrase, AgentSocket, KnownHosts, Fingerprint string
	Port                                                              int
	JumpHost, JumpUser, JumpKey, JumpPassphrase                       string
	JumpKnownHosts, JumpFingerprint                                   string
	JumpPort                                                          int
	InsecureIgnoreHostKey                                             bool
	ConnectTimeout                                                    time.Duration
	ConnectRetries                                                    int
	// DockerSocket is the Docker socket on the manager, for an action that declares it
	// (deploy-swarm's docker_socket); Declare does not.
	DockerSocket string

	// parsed is the checked configuration, with its keys parsed, once the inputs are checked.
	parsed *sshconn.Config
}

// InputNames maps sshconn's fields to the inputs that set them, where their names differ: the
// other fields (host, port, known_hosts, docker_socket, jump_host...) are named alike. It is the
// one table of the commands that take SSH inputs (deploy-swarm, load-test, tunnel).
var InputNames = map[string]string{
	sshconn.FieldKey:                             "ssh_key",
	sshconn.FieldPassphrase:                      "ssh_passphrase",
	sshconn.FieldAgentSocket:                     "ssh_auth_sock",
	sshconn.JumpPrefix + sshconn.FieldKey:        "jump_ssh_key",
	sshconn.JumpPrefix + sshconn.FieldPassphrase: "jump_ssh_passphrase",
}

// requiredUnless are the inputs Declare declares RequiredUnless the Local input, when Spec has
// one: their parse reports them when empty.
var requiredUnless = map[string]bool{"host": true, "user": true, "ssh_key": true}

// Spec says how an action uses SSH.
type Spec struct {
	// Local names the input that replaces SSH (deploy-swarm's docker_host): host is then required
	// unless it is set, and conflicts with it. Empty: SSH is optional, and used when host is set.
	Local string
	// UserUsage describes the user input, when the action needs more of the account than SSH.
	UserUsage string
}

// Declare declares the SSH inputs on in, stored in o, and the check that spans them: it parses
// the SSH configuration once (sshconn.Config.Parse: the keys are decrypted there, and only there)
// and reports every problem (a key that does not parse, a bad known_hosts line, a conflicting
// host-key rule...) at once, as input errors.
func Declare(in *action.Inputs, o *Options, spec Spec) {
	var local, keyLocal []string
	if spec.Local != "" {
		local, keyLocal = []string{spec.Local}, []string{spec.Local, "ssh_auth_sock"}
	}
	in.String(&o.Host, action.Input{Name: "host", Usage: "Host name or IP address of the Swarm manager to reach over SSH",
		RequiredUnless: local, ConflictsWith: local})
	in.Int(&o.Port, action.Input{Name: "port", Default: "22", Min: 1, Max: 65535, Usage: "SSH port of the manager"})
	in.String(&o.User, action.Input{Name: "user", Usage: cmp.Or(spec.UserUsage, "SSH user on the manager"), RequiredUnless: local})
	in.Multiline(&o.Key, action.Input{Name: "ssh_key", Secret: true, Usage: "Private SSH key (OpenSSH or PEM; RSA, ECDSA or Ed25519)",
		RequiredUnless: keyLocal})
	in.String(&o.Passphrase, action.Input{Name: "ssh_passphrase", Secret: true, Usage: "Passphrase of ssh_key, if it has one"})
	in.String(&o.AgentSocket, action.Input{Name: "ssh_auth_sock", Usage: "SSH agent socket holding the key, for local runs (e.g. $SSH_AUTH_SOCK)"})
	in.Multiline(&o.KnownHosts, action.Input{Name: "known_hosts", Usage: "known_hosts lines of the manager (ssh-keyscan output)"})
	in.String(&o.Fingerprint, action.Input{Name: "host_fingerprint", Usage: "SHA256 fingerprint(s) of the manager's host key, e.g. SHA256:..."})
	in.Bool(&o.InsecureIgnoreHostKey, action.Input{Name: "insecure_ignore_host_key", Default: "false",
		Usage: "Accept any host key (unsafe: allows a man in the middle to take the key's access)", ConflictsWith: []string{"known_hosts", "host_fingerprint"}})

	in.String(&o.JumpHost, action.Input{Name: "jump_host", Usage: "Jump host (bastion) to reach the manager through"})
	in.Int(&o.JumpPort, action.Input{Name: "jump_port", Default: "22", Min: 1, Max: 65535, Usage: "SSH port of the jump host"})
	in.String(&o.JumpUser, action.Input{Name: "jump_user", Usage: "SSH user on the jump host (default: user)"})
	in.Multiline(&o.JumpKey, action.Input{Name: "jump_ssh_key", Secret: true, Usage: "Private SSH key for the jump host (default: ssh_key)"})
	in.String(&o.JumpPassphrase, action.Input{Name: "jump_ssh_passphrase", Secret: true, Usage: "Passphrase of jump_ssh_key"})
	in.Multiline(&o.JumpKnownHosts, action.Input{Name: "jump_known_hosts", Usage: "known_hosts lines of the jump host (default: known_hosts)"})
	in.String(&o.JumpFingerprint, action.Input{Name: "jump_host_fingerprint", Usage: "SHA256 fingerprint(s) of the jump host's key"})

	in.Duration(&o.ConnectTimeout, action.Input{Name: "connect_timeout", Default: "15s", Usage: "Time allowed for each SSH connect attempt"})
	in.Int(&o.ConnectRetries, action.Input{Name: "connect_retries", Default: "3", Min: 0, Max: 20,
		Usage: "Retries of a connect that failed on a network error (never on an authentication or host key error)"})

	in.Check(func() error {
		if spec.Local != "" && in.IsSet(spec.Local) {
			return nil
		}
		if spec.Local == "" && !in.IsSet("host") {
			return nil // no SSH: the action works locally
		}
		cfg, err := o.config().Parse()
		if err != nil {
			// With Local, host, user and ssh_key, when empty, are reported by their RequiredUnless.
			return inputErrors(err, func(fe *sshconn.FieldError) bool { return spec.Local == "" || !fe.Missing || !requiredUnless[fe.Field] })
		}
		o.parsed = &cfg
		return nil
	})
}

// Config is the SSH connection the inputs describe: once the inputs are checked, with the keys
// they parsed, which sshconn.Dial uses without parsing them again.
func (o *Options) Config() sshconn.Config {
	if o.parsed != nil {
		return *o.parsed
	}
	return o.config()
}

// config is the SSH connection the inputs describe, as given.
func (o *Options) config() sshconn.Config {
	cfg := sshconn.Config{
		Endpoint: sshconn.Endpoint{
			Host: o.Host, Port: o.Port, User: o.User, Key: o.Key, Passphrase: o.Passphrase,
			AgentSocket: o.AgentSocket, KnownHosts: o.KnownHosts, HostFingerprint: o.Fingerprint,
		},
		InsecureIgnoreHostKey: o.InsecureIgnoreHostKey,
		ConnectTimeout:        o.ConnectTimeout,
		ConnectRetries:        o.ConnectRetries,
		DockerSocket:          o.DockerSocket,
		FieldNames:            InputNames,
	}
	if o.ConnectRetries == 0 {
		cfg.ConnectRetries = sshconn.NoRetries
	}
	if o.JumpHost != "" {
		cfg.Jump = &sshconn.Endpoint{
			Host: o.JumpHost, Port: o.JumpPort, User: o.JumpUser, Key: o.JumpKey, Passphrase: o.JumpPassphrase,
			KnownHosts: o.JumpKnownHosts, HostFingerprint: o.JumpFingerprint,
		}
	}
	return cfg
}

// inputErrors turns sshconn's field errors (named after the inputs by InputNames) into input
// errors, leaving out those report says are reported already.
func inputErrors(err error, report func(*sshconn.FieldError) bool) error {
	var out []error
	for _, e := range action.Flatten(err) {
		var fe *sshconn.FieldError
		if errors.As(e, &fe) {
			if report(fe) {
				out = append(out, &action.InputError{Input: fe.Field, Problem: fe.Problem})
			}
			continue
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// RefuseInsecure applies the host-key rule that depends on where the action runs:
// insecure_ignore_host_key is refused in GitHub Actions, where the SSH key and what it reaches are
// worth a man in the middle, and known_hosts or host_fingerprint can always be given.
func RefuseInsecure(insecure, inGitHub bool) error {
	if insecure && inGitHub {
		return &action.InputError{Input: "insecure_ignore_host_key", Problem: "is refused in GitHub Actions (GITHUB_ACTIONS=true): " +
			"pin the manager's host key with known_hosts (ssh-keyscan output) or host_fingerprint (and jump_known_hosts or jump_host_fingerprint for a jump host); " +
			"insecure_ignore_host_key is for local runs only"}
	}
	return nil
}

// WarnInsecure says loudly, for a local run with insecure_ignore_host_key, which hosts are not
// verified and what that allows; it says nothing when the keys are checked.
func WarnInsecure(rt *action.Runtime, cfg sshconn.Config) {
	if !cfg.InsecureIgnoreHostKey {
		return
	}
	hosts := cfg.Host
	if cfg.Jump != nil {
		hosts += " and the jump host " + cfg.Jump.Host
	}
	rt.Warnf("insecure_ignore_host_key is true: the host keys of %s are NOT verified, so anyone on the network path can impersonate them, take the SSH key's access and act in its name. Allowed for local runs only; pin the keys with known_hosts or host_fingerprint instead.", hosts)
}
