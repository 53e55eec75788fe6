package sshconn

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	sshconfig "github.com/kevinburke/ssh_config"
	"golang.org/x/crypto/ssh"
)

// Local describes a connection from a user's machine, where OpenSSH's client defaults apply: the
// OpenSSH client configuration (Host aliases, HostName, User, Port, IdentityFile, ProxyJump,
// UserKnownHostsFile, IdentityAgent, read with github.com/kevinburke/ssh_config), the known_hosts
// files, the SSH agent and the default key files. What Config already sets wins over all of them.
type Local struct {
	// Config holds what the user set explicitly; its Host may be an alias of the SSH config.
	Config Config
	// SSHConfig is the path of the OpenSSH client configuration (~/.ssh/config); empty means
	// none.
	SSHConfig string
	// Home is the user's home directory, for ~ and the default files (~/.ssh/id_ed25519,
	// ~/.ssh/known_hosts, ...).
	Home string
	// User is the local user name, the login when neither Config nor the SSH config names one.
	User string
	// AgentSocket is SSH_AUTH_SOCK, used when Config has no key of its own or the key files are
	// passphrase-protected.
	AgentSocket string
}

// defaultIdentityFiles are the key files OpenSSH tries when the configuration names none.
var defaultIdentityFiles = []string{"~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"}

// defaultKnownHostsFiles are OpenSSH's UserKnownHostsFile default.
var defaultKnownHostsFiles = []string{"~/.ssh/known_hosts", "~/.ssh/known_hosts2"}

// Resolve returns the Config l describes, as OpenSSH's client would connect: for the target and
// for the jump host of ProxyJump (one hop; an alias is resolved too). Errors name the file and the
// directive at fault.
func (l Local) Resolve() (Config, error) {
	var file *sshconfig.Config
	if l.SSHConfig != "" {
		data, err := os.ReadFile(l.SSHConfig)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return Config{}, fmt.Errorf("failed to read the SSH config %s: %w", l.SSHConfig, err)
		default:
			if file, err = sshconfig.DecodeBytes(data); err != nil {
				return Config{}, fmt.Errorf("the SSH config %s does not parse: %w", l.SSHConfig, err)
			}
		}
	}
	cfg := l.Config
	alias := cfg.Host
	target, jump, err := l.endpoint(file, cfg.Endpoint, alias)
	if err != nil {
		return Config{}, err
	}
	cfg.Endpoint = target
	if cfg.Jump == nil && jump != "" {
		j, err := l.jumpEndpoint(file, jump, cfg.Endpoint)
		if err != nil {
			return Config{}, err
		}
		cfg.Jump = &j
	}
	return cfg, nil
}

// endpoint fills e's empty fields for alias from the SSH config and the defaults, and returns the
// ProxyJump value.
func (l Local) endpoint(file *sshconfig.Config, e Endpoint, alias string) (Endpoint, string, error) {
	get := func(key string) string {
		if file == nil {
			return ""
		}
		v, _ := file.Get(alias, key)
		return strings.TrimSpace(v)
	}
	getAll := func(key string) []string {
		if file == nil {
			return nil
		}
		v, _ := file.GetAll(alias, key)
		return v
	}
	if h := get("HostName"); h != "" {
		e.Host = strings.ReplaceAll(h, "%h", alias)
	}
	if e.User == "" {
		e.User = get("User")
	}
	if e.User == "" {
		e.User = l.User
	}
	if e.Port == 0 {
		if p := get("Port"); p != "" {
			port, err := strconv.Atoi(p)
			if err != nil || port < 1 || port > 65535 {
				return e, "", fmt.Errorf("the SSH config %s: Port %q of host %s is not a port number", l.SSHConfig, p, alias)
			}
			e.Port = port
		}
	}
	if e.AgentSocket == "" && e.Key == "" {
		switch a := get("IdentityAgent"); {
		case strings.EqualFold(a, "none"):
		case a == "SSH_AUTH_SOCK" || a == "":
			e.AgentSocket = l.AgentSocket
		default:
			e.AgentSocket = l.expand(strings.Trim(a, `"`))
		}
		// As ssh, do without an agent whose socket is gone (a stale SSH_AUTH_SOCK).
		if _, err := os.Stat(e.AgentSocket); e.AgentSocket != "" && err != nil {
			e.AgentSocket = ""
		}
	}
	if strings.TrimSpace(e.Key) == "" {
		files := getAll("IdentityFile")
		explicit := len(files) > 0
		if !explicit {
			files = defaultIdentityFiles
		}
		port := e.Port
		if port == 0 {
			port = DefaultPort
		}
		tok := tokens{alias: alias, host: e.Host, user: e.User, port: port, localUser: l.User, home: l.Home}
		keys, err := l.identities(files, tok, e.Passphrase, e.AgentSocket != "", explicit)
		if err != nil {
			return e, "", err
		}
		if len(keys) > 0 {
			e.Key, e.MoreKeys = keys[0], keys[1:]
		}
	}
	if strings.TrimSpace(e.KnownHosts) == "" && strings.TrimSpace(e.HostFingerprint) == "" {
		files := defaultKnownHostsFiles
		if v := get("UserKnownHostsFile"); v != "" {
			files = strings.Fields(v)
		}
		known, err := l.readAll(files)
		if err != nil {
			return e, "", err
		}
		e.KnownHosts = known
	}
	jump := get("ProxyJump")
	if strings.EqualFold(jump, "none") {
		jump = ""
	}
	return e, jump, nil
}

// identities returns every key file that exists and that can be used, in order, as OpenSSH
// tries each IdentityFile in turn: a key that needs a passphrase nobody gave is skipped, left to
// the agent or to the other keys, and is an error only when nothing else can authenticate. A
// named file that is missing is an error in the same case.
func (l Local) identities(files []string, tok tokens, passphrase string, agent, explicit bool) ([]string, error) {
	var keys []string
	var missing, locked []string
	for _, f := range files {
		path, err := tok.expand(l.expand(f))
		if err != nil {
			return nil, fmt.Errorf("the SSH config %s: IdentityFile %q of host %s: %w", l.SSHConfig, f, tok.alias, err)
		}
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, path)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("failed to read the key %s (IdentityFile of the SSH config %s): %w", path, l.SSHConfig, err)
		}
		if _, err := ssh.ParseRawPrivateKey(data); err != nil {
			var needs *ssh.PassphraseMissingError
			if errors.As(err, &needs) && passphrase == "" {
				locked = append(locked, path)
				continue
			}
		}
		keys = append(keys, string(data))
	}
	switch {
	case len(keys) > 0 || agent:
		return keys, nil
	case len(locked) > 0:
		return nil, fmt.Errorf("the key %s is passphrase-protected: add it to your SSH agent (ssh-add %s) or give its passphrase", locked[0], locked[0])
	case explicit && len(missing) > 0:
		return nil, fmt.Errorf("failed to read the key %s (IdentityFile of the SSH config %s): %w", missing[0], l.SSHConfig, fs.ErrNotExist)
	}
	return nil, nil
}

// jumpEndpoint resolves a ProxyJump value: [user@]host[:port], or an alias of the SSH config.
// Only one hop is supported.
func (l Local) jumpEndpoint(file *sshconfig.Config, spec string, target Endpoint) (Endpoint, error) {
	if strings.Contains(spec, ",") {
		return Endpoint{}, fmt.Errorf("the SSH config %s: ProxyJump %q has several hops; only one jump host is supported", l.SSHConfig, spec)
	}
	spec = strings.TrimPrefix(spec, "ssh://")
	var j Endpoint
	if u, h, ok := strings.Cut(spec, "@"); ok {
		j.User, spec = u, h
	}
	host := spec
	if h, p, err := splitHostPort(spec); err == nil {
		port, err := strconv.Atoi(p)
		if err != nil {
			return Endpoint{}, fmt.Errorf("the SSH config %s: ProxyJump %q has a bad port", l.SSHConfig, spec)
		}
		host, j.Port = h, port
	}
	j.Host = host
	j.AgentSocket = target.AgentSocket
	resolved, _, err := l.endpoint(file, j, host)
	if err != nil {
		return Endpoint{}, err
	}
	return resolved, nil
}

func splitHostPort(s string) (string, string, error) {
	if !strings.Contains(s, ":") {
		return "", "", errors.New("no port")
	}
	i := strings.LastIndex(s, ":")
	return strings.Trim(s[:i], "[]"), s[i+1:], nil
}

// readAll concatenates the files that exist.
func (l Local) readAll(files []string) (string, error) {
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(l.expand(f))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("failed to read %s: %w", l.expand(f), err)
		}
		b.Write(data)
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// expand replaces a leading ~ with the home directory.
func (l Local) expand(p string) string {
	p = strings.Trim(p, `"`)
	if p == "~" || strings.HasPrefix(p, "~/") {
		return filepath.Join(l.Home, p[1:])
	}
	if strings.HasPrefix(p, "%d/") {
		return filepath.Join(l.Home, p[2:])
	}
	return p
}
