package sshconn

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// KnownHosts is parsed known_hosts content, matched in memory (no file is ever written: the
// action's image has no writable temporary directory).
type KnownHosts struct {
	keys    []hostKeyLine                  // host key and @cert-authority lines
	revoked map[string]knownhosts.KnownKey // @revoked keys, by their wire form
	hasCA   bool
	lines   int
}

// Lines returns how many host key lines (markers included) the content holds.
func (k *KnownHosts) Lines() int { return k.lines }

// ParseKnownHosts parses known_hosts content: the lines of ~/.ssh/known_hosts or the output of
// ssh-keyscan, with plain, wildcard, negated, hashed (|1|...) and [host]:port host patterns, and
// the @cert-authority and @revoked markers. Every bad line is reported, by number; errors are
// *FieldError naming FieldKnownHosts and never quote the content.
func ParseKnownHosts(content string) (*KnownHosts, error) {
	return parseKnownHosts(Config{}.endpointNames(""), content)
}

func parseKnownHosts(n names, content string) (*KnownHosts, error) {
	if strings.Contains(content, "PRIVATE KEY") {
		return nil, fieldErr(n.knownHosts, "contains a private key: paste host public keys (ssh-keyscan output) instead, and consider that private key leaked")
	}
	k := &KnownHosts{revoked: map[string]knownhosts.KnownKey{}}
	var errs []error
	for i, line := range strings.Split(content, "\n") {
		line = strings.Trim(line, " \t\r")
		if line == "" || line[0] == '#' {
			continue
		}
		k.lines++
		l, problem := parseKnownHostsLine(n, line)
		if problem != "" {
			errs = append(errs, fieldErr(n.knownHosts, "line %d %s", i+1, problem))
			continue
		}
		l.known.Filename, l.known.Line = string(n.knownHosts), i+1
		switch l.marker {
		case markerRevoked:
			k.revoked[string(l.known.Key.Marshal())] = l.known
		case markerCA:
			k.hasCA = true
			k.keys = append(k.keys, l)
		default:
			k.keys = append(k.keys, l)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if k.lines == 0 {
		return nil, fieldErr(n.knownHosts, "has no host key line: paste the output of `ssh-keyscan -p PORT HOST`, or lines of ~/.ssh/known_hosts")
	}
	return k, nil
}

const (
	markerCA      = "@cert-authority"
	markerRevoked = "@revoked"
)

// parseKnownHostsLine parses one known_hosts line, as OpenSSH and x/crypto/ssh/knownhosts do, or
// says what is wrong with it, without quoting it.
func parseKnownHostsLine(n names, line string) (l hostKeyLine, problem string) {
	f := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' })
	if strings.HasPrefix(f[0], "@") {
		if f[0] != markerCA && f[0] != markerRevoked {
			return l, "has an unknown marker: only @cert-authority and @revoked are supported"
		}
		l.marker, f = f[0], f[1:]
	}
	if len(f) >= 2 {
		if key := publicKey(f[0], f[1]); key != nil {
			return l, fmt.Sprintf("is a public key without a host: prefix it with the host, as in `[HOST]:PORT %s AAAA...`, or pin it with %s: %s",
				key.Type(), n.fingerprint, ssh.FingerprintSHA256(key))
		}
	}
	if len(f) < 3 {
		return l, "must be `HOST KEY-TYPE BASE64-KEY`, as ssh-keyscan prints it"
	}
	var err error
	if l.hosts, err = parseHostPatterns(f[0]); err != nil {
		return l, err.Error()
	}
	blob, err := base64.StdEncoding.DecodeString(f[2])
	if err != nil {
		return l, "has a key that is not valid base64: it may be truncated"
	}
	key, err := ssh.ParsePublicKey(blob)
	if err != nil {
		return l, "has a key that could not be parsed: it may be truncated"
	}
	if key.Type() != f[1] {
		return l, "has a key type that does not match its key"
	}
	l.known.Key = key
	return l, ""
}

// publicKey returns the key if typ and b64 are an "authorized_keys style" public key.
func publicKey(typ, b64 string) ssh.PublicKey {
	blob, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil
	}
	key, err := ssh.ParsePublicKey(blob)
	if err != nil || key.Type() != typ {
		return nil
	}
	return key
}
