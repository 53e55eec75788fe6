package sshconn

import (
	"errors"
	"fmt"
	"net"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Defaults applied by Dial and Validate to the zero values of Config.
const (
	DefaultPort               = 22
	DefaultConnectTimeout     = 15 * time.Second
	DefaultKeepaliveInterval  = 15 * time.Second
	DefaultKeepaliveMaxMissed = 3
	DefaultDockerSocket       = "/var/run/docker.sock"
	DefaultConnectRetries     = 3
	DefaultRetryBackoff       = time.Second
	// NoRetries, as Config.ConnectRetries, makes a network error fail the first attempt.
	NoRetries = -1
	// maxRetryBackoff caps the doubling wait between connect attempts.
	maxRetryBackoff = 30 * time.Second
)

// The names of the fields of Config, as errors and messages name them unless Config.FieldNames
// renames them (to the names of an action's inputs, say). Jump host fields are the same names
// prefixed with JumpPrefix ("jump_host", "jump_key", "jump_known_hosts", ...).
const (
	FieldHost                  = "host"
	FieldPort                  = "port"
	FieldUser                  = "user"
	FieldKey                   = "key"
	FieldPassphrase            = "passphrase"
	FieldAgentSocket           = "agent_socket"
	FieldKnownHosts            = "known_hosts"
	FieldHostFingerprint       = "host_fingerprint"
	FieldInsecureIgnoreHostKey = "insecure_ignore_host_key"
	FieldConnectTimeout        = "connect_timeout"
	FieldKeepaliveInterval     = "keepalive_interval"
	FieldKeepaliveMaxMissed    = "keepalive_max_missed"
	FieldDockerSocket          = "docker_socket"
	FieldConnectRetries        = "connect_retries"
	FieldRetryBackoff          = "retry_backoff"
	JumpPrefix                 = "jump_"
)

// Endpoint is one SSH server to log in to: the target (the Swarm manager) or the jump host.
// Keys, passphrases and known_hosts are given as content (what a secret or an input holds), not
// as file names.
type Endpoint struct {
	// Host is a host name or an IP address, without user or port.
	Host string
	// Port defaults to 22.
	Port int
	// User is the login name.
	User string
	// Signers are private keys already parsed (by Config.Parse or ParsePrivateKey), offered
	// first, in order: Dial does not parse them again.
	Signers []ssh.Signer
	// Key is a private key in the OpenSSH format or PEM (PKCS#1, PKCS#8, SEC 1), RSA, ECDSA or
	// Ed25519, optionally encrypted with Passphrase.
	Key string
	// MoreKeys are further private keys, offered in turn after Key, as OpenSSH tries each
	// IdentityFile (Local fills them from the SSH config). Passphrase decrypts them too.
	MoreKeys []string
	// Passphrase decrypts Key.
	Passphrase string
	// AgentSocket is the path of an SSH agent socket (SSH_AUTH_SOCK), for local runs. When Key is
	// also set, Key is offered first.
	AgentSocket string
	// KnownHosts is known_hosts content: plain, hashed or [host]:port lines, ssh-keyscan output,
	// @cert-authority and @revoked markers.
	KnownHosts string
	// HostFingerprint pins one or more host keys by their SHA256 fingerprint ("SHA256:..."),
	// separated by commas, spaces or new lines.
	HostFingerprint string
}

// Config describes how to reach the Docker Engine API of a remote host over SSH.
type Config struct {
	// Endpoint is the SSH server running the Docker daemon.
	Endpoint
	// Jump, when set, is a jump host (bastion) through which the target is reached. Its empty
	// fields default to the target's: user, key (with passphrase and agent), and known_hosts when
	// it has neither known_hosts nor a fingerprint of its own.
	Jump *Endpoint
	// InsecureIgnoreHostKey accepts any host key, for the target and the jump host. It is loudly
	// warned about and cannot be combined with known_hosts or fingerprints.
	InsecureIgnoreHostKey bool
	// ConnectTimeout bounds each connect attempt: TCP connection, SSH handshake and
	// authentication, jump host included. Zero means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// KeepaliveInterval is how often a keepalive request is sent. Zero means
	// DefaultKeepaliveInterval; a negative value disables keepalives.
	KeepaliveInterval time.Duration
	// KeepaliveMaxMissed is how many keepalive intervals may pass without a reply before the
	// connection is considered dead and closed. Zero means DefaultKeepaliveMaxMissed.
	KeepaliveMaxMissed int
	// DockerSocket is the path of the Docker socket on the remote host. Empty means
	// DefaultDockerSocket.
	DockerSocket string
	// ConnectRetries is how many times a connect that failed on a network error is retried
	// (authentication and host key errors are never retried). Zero means DefaultConnectRetries;
	// NoRetries means none.
	ConnectRetries int
	// RetryBackoff is the wait before the first retry; it doubles at each retry, up to 30s, with
	// up to 20% jitter. Zero means DefaultRetryBackoff.
	RetryBackoff time.Duration
	// FieldNames are the names errors and messages give the fields (FieldKey,
	// JumpPrefix+FieldKey...), for a caller whose users know them by other names (an action's
	// inputs); a field it does not list keeps its own name.
	FieldNames map[string]string
}

// name is the name errors and messages give field.
func (c Config) name(field string) fieldName {
	if n, ok := c.FieldNames[field]; ok {
		return fieldName(n)
	}
	return fieldName(field)
}

// fieldName is the name of a field in an error or a message.
type fieldName string

// FieldError is a problem with one field of Config. Field is the field's name (FieldKey,
// JumpPrefix+FieldHost, ..., or its name in Config.FieldNames) and Problem completes the
// sentence: Error returns "key is passphrase-protected: set passphrase". Problems never quote
// secrets or keys. Missing tells that the field is required and empty.
type FieldError struct {
	Field   string
	Problem string
	Missing bool
}

func (e *FieldError) Error() string { return e.Field + " " + e.Problem }

func fieldErr(field fieldName, format string, args ...any) error {
	return &FieldError{Field: string(field), Problem: fmt.Sprintf(format, args...)}
}

// missing is the error of a required field left empty.
func missing(field fieldName, format string, args ...any) error {
	return &FieldError{Field: string(field), Problem: fmt.Sprintf(format, args...), Missing: true}
}

// Validate reports every problem of c at once (errors.Join of *FieldError), including keys that do
// not parse and passphrases that do not decrypt them. It does not connect.
func (c Config) Validate() error {
	_, err := c.Parse()
	return err
}

// Parse validates c as Validate does, and returns c with its keys parsed: each endpoint's Key
// and MoreKeys, decrypted with its Passphrase, are in its Signers instead, so that Dial uses
// them without parsing (and decrypting) them again.
func (c Config) Parse() (Config, error) {
	p, err := c.plan()
	if err != nil {
		return c, err
	}
	c.Endpoint = p.target.parsed(c.Endpoint)
	if c.Jump != nil {
		j := p.jump.parsed(*c.Jump)
		c.Jump = &j
	}
	return c, nil
}

// parsed returns e with the keys ep parsed from it in Signers.
func (ep *endpointPlan) parsed(e Endpoint) Endpoint {
	if ep == nil || !ep.ownKeys {
		return e
	}
	e.Signers = append([]ssh.Signer{ep.signer}, ep.more...)
	e.Key, e.MoreKeys, e.Passphrase = "", nil, ""
	return e
}

// names are the names errors and messages give the fields of one endpoint, and the fields of
// Config they mention.
type names struct {
	host, port, user, key, passphrase, agent, knownHosts, fingerprint fieldName
	insecure, connectTimeout                                          fieldName
}

func (c Config) endpointNames(prefix string) names {
	return names{
		host: c.name(prefix + FieldHost), port: c.name(prefix + FieldPort), user: c.name(prefix + FieldUser),
		key: c.name(prefix + FieldKey), passphrase: c.name(prefix + FieldPassphrase), agent: c.name(prefix + FieldAgentSocket),
		knownHosts: c.name(prefix + FieldKnownHosts), fingerprint: c.name(prefix + FieldHostFingerprint),
		insecure: c.name(FieldInsecureIgnoreHostKey), connectTimeout: c.name(FieldConnectTimeout),
	}
}

// withDefaults returns c with its zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.KeepaliveInterval == 0 {
		c.KeepaliveInterval = DefaultKeepaliveInterval
	}
	if c.KeepaliveMaxMissed == 0 {
		c.KeepaliveMaxMissed = DefaultKeepaliveMaxMissed
	}
	if c.DockerSocket == "" {
		c.DockerSocket = DefaultDockerSocket
	}
	switch {
	case c.ConnectRetries == 0:
		c.ConnectRetries = DefaultConnectRetries
	case c.ConnectRetries == NoRetries:
		c.ConnectRetries = 0
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	if c.Jump != nil {
		j := *c.Jump
		if reflect.ValueOf(j).IsZero() {
			c.Jump = nil
		} else {
			if j.Port == 0 {
				j.Port = DefaultPort
			}
			if j.User == "" {
				j.User = c.User
			}
			c.Jump = &j
		}
	}
	return c
}

// plan validates c and prepares what connecting needs.
func (c Config) plan() (*plan, error) {
	c = c.withDefaults()
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	p := &plan{cfg: c}
	var err error
	p.target, err = planEndpoint(c.Endpoint, c.endpointNames(""), c.InsecureIgnoreHostKey, false, nil)
	add(err)
	if c.Jump != nil {
		// The jump host reuses the target's key and known_hosts when it has none of its own; a
		// problem with those is reported once, under the target's field names.
		p.jump, err = planEndpoint(*c.Jump, c.endpointNames(JumpPrefix), c.InsecureIgnoreHostKey, true, p.target)
		add(err)
	}
	if c.ConnectTimeout < 0 {
		add(fieldErr(c.name(FieldConnectTimeout), "must be positive (e.g. 15s)"))
	}
	if c.KeepaliveMaxMissed < 0 {
		add(fieldErr(c.name(FieldKeepaliveMaxMissed), "must be positive (e.g. 3)"))
	}
	if c.ConnectRetries < 0 {
		add(fieldErr(c.name(FieldConnectRetries), "must be 0 or more"))
	}
	if c.RetryBackoff < 0 {
		add(fieldErr(c.name(FieldRetryBackoff), "must be positive (e.g. 1s)"))
	}
	if !path.IsAbs(c.DockerSocket) || strings.ContainsAny(c.DockerSocket, "\x00\n\r") {
		add(fieldErr(c.name(FieldDockerSocket), "must be an absolute path on the server, e.g. %s", DefaultDockerSocket))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// planEndpoint validates one endpoint: every problem is returned, joined. For the jump host
// (isJump), target is the target's plan (nil if it had errors): its keys and agent are used when
// the jump host has none, and its known_hosts when the jump host has neither known_hosts nor
// fingerprints.
func planEndpoint(e Endpoint, n names, insecure, isJump bool, target *endpointPlan) (*endpointPlan, error) {
	inheritAuth := isJump && len(e.Signers) == 0 && strings.TrimSpace(e.Key) == "" && e.Passphrase == "" && e.AgentSocket == ""
	inheritKnown := isJump && strings.TrimSpace(e.KnownHosts) == "" && strings.TrimSpace(e.HostFingerprint) == ""
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	host, err := checkHost(e.Host, n)
	add(err)
	if e.Port < 0 || e.Port > 65535 {
		add(fieldErr(n.port, "must be between 1 and 65535 (default 22)"))
	}
	if strings.TrimSpace(e.User) == "" {
		add(missing(n.user, "is required: the login name on %s, e.g. deploy", orHost(host)))
	} else if strings.ContainsAny(e.User, " \t\r\n@:") {
		add(fieldErr(n.user, "must be a bare login name (no spaces, @ or :)"))
	}
	ep := &endpointPlan{names: n, host: host, user: strings.TrimSpace(e.User)}
	ep.addr = net.JoinHostPort(host, strconv.Itoa(e.Port))

	switch {
	case inheritAuth:
		if target != nil {
			ep.signer, ep.more, ep.agentSocket = target.signer, target.more, target.agentSocket
		}
	case len(e.Signers) > 0 || strings.TrimSpace(e.Key) != "":
		signers := slices.Clone(e.Signers)
		if strings.TrimSpace(e.Key) != "" {
			s, err := parseKey(n, e.Key, e.Passphrase)
			add(err)
			signers = append(signers, s)
			ep.ownKeys = true
		}
		for i, k := range e.MoreKeys {
			kn := n
			kn.key = fieldName(fmt.Sprintf("%s (further key %d)", n.key, i+1))
			s, err := parseKey(kn, k, e.Passphrase)
			add(err)
			signers = append(signers, s)
			ep.ownKeys = true
		}
		ep.signer, ep.more = signers[0], signers[1:]
	case e.Passphrase != "":
		add(fieldErr(n.passphrase, "is set but %s is empty: set %s too", n.key, n.key))
	case e.AgentSocket == "":
		add(missing(n.key, "is required: paste a private key (or set %s to an SSH agent socket when running locally)", n.agent))
	}
	if e.AgentSocket != "" && !inheritAuth {
		if !path.IsAbs(e.AgentSocket) {
			add(fieldErr(n.agent, "must be the absolute path of an SSH agent socket (SSH_AUTH_SOCK)"))
		}
		ep.agentSocket = e.AgentSocket
	}

	if inheritKnown {
		ep.verifier = &verifier{n: n, insecure: insecure}
		if target != nil {
			ep.verifier.known = target.verifier.known
		}
	} else {
		ep.verifier, err = newVerifier(n, e.KnownHosts, e.HostFingerprint, insecure)
		add(err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return ep, nil
}

func orHost(host string) string {
	if host == "" {
		return "the server"
	}
	return host
}

// checkHost returns the host name or IP address of raw, without brackets.
func checkHost(raw string, n names) (string, error) {
	h := strings.TrimSpace(raw)
	switch {
	case h == "":
		return "", missing(n.host, "is required: the host name or IP address of the SSH server")
	case strings.ContainsAny(h, "@/ \t\r\n"):
		return "", fieldErr(n.host, "must be a bare host name or IP address: set the login in %s and the port in %s", n.user, n.port)
	case strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]"):
		h = h[1 : len(h)-1]
	}
	if strings.Contains(h, ":") && net.ParseIP(h) == nil {
		return "", fieldErr(n.host, "must not contain a port: set %s", n.port)
	}
	return h, nil
}
