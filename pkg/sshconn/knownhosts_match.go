package sshconn

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// This file matches hosts and keys against parsed known_hosts lines, in memory, with the semantics
// of sshd(8)'s SSH_KNOWN_HOSTS FILE FORMAT and of x/crypto/ssh/knownhosts (whose callback can only
// be built from files), and returns that package's error types so that callers can tell a
// mismatch (*knownhosts.KeyError with Want) from a revoked key (*knownhosts.RevokedError).

// hostKeyLine is one host key or @cert-authority line.
type hostKeyLine struct {
	marker string // "", markerCA or markerRevoked
	hosts  hostMatcher
	known  knownhosts.KnownKey
}

// hostMatcher tells whether a line's host field names host on port.
type hostMatcher interface {
	match(host, port string) bool
}

// parseHostPatterns parses the host field of a line: |1|SALT|HASH, or comma-separated patterns,
// each optionally negated (!) and in the [HOST]:PORT form for ports other than 22. Its errors
// complete the sentence "known_hosts line N ...".
func parseHostPatterns(field string) (hostMatcher, error) {
	if field[0] == '@' {
		return nil, errors.New("has more than one marker")
	}
	if field[0] == '|' {
		return parseHashedHost(field)
	}
	var ps hostPatterns
	for _, p := range strings.Split(field, ",") {
		if p == "" {
			continue
		}
		var hp hostPattern
		if p[0] == '!' {
			if p = p[1:]; p == "" {
				return nil, errors.New("has a negation (!) without a host")
			}
			hp.negate = true
		}
		host, port, err := net.SplitHostPort(p)
		switch {
		case err != nil && p[0] == '[':
			return nil, errors.New("has a malformed [HOST]:PORT pattern")
		case err != nil:
			host, port = p, "22" // a bare host (or IPv6 address): port 22
		}
		hp.host, hp.port = strings.ToLower(host), port
		ps = append(ps, hp)
	}
	if len(ps) == 0 {
		return nil, errors.New("has no host pattern")
	}
	return ps, nil
}

// hostPattern is one host pattern: a host with * and ? wildcards, and a port.
type hostPattern struct {
	negate     bool
	host, port string
}

type hostPatterns []hostPattern

// match reports whether a pattern names host on port and no negated pattern does.
func (ps hostPatterns) match(host, port string) bool {
	host = strings.ToLower(host)
	matched := false
	for _, p := range ps {
		if p.port != port || !wildcardMatch(p.host, host) {
			continue
		}
		if p.negate {
			return false
		}
		matched = true
	}
	return matched
}

// wildcardMatch matches s against a pattern where * is any run of characters and ? any one
// character, as OpenSSH's match_pattern does (dots are not special).
func wildcardMatch(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for pattern != "" && pattern[0] == '*' {
				pattern = pattern[1:]
			}
			if pattern == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if wildcardMatch(pattern, s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return s == ""
}

// hashedHost is a host hashed as `ssh-keyscan -H` and HashKnownHosts do: |1|SALT|HASH where HASH is
// HMAC-SHA1 keyed with SALT of "host" (port 22) or "[host]:port".
type hashedHost struct {
	salt, hash []byte
}

func parseHashedHost(field string) (*hashedHost, error) {
	malformed := errors.New("has a malformed hashed host: it must look like |1|SALT|HASH, as `ssh-keyscan -H` prints it")
	parts := strings.Split(field, "|")
	if len(parts) != 4 || parts[1] != "1" {
		return nil, malformed
	}
	salt, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, malformed
	}
	hash, err := base64.StdEncoding.DecodeString(parts[3])
	if err != nil || len(hash) != sha1.Size {
		return nil, malformed
	}
	return &hashedHost{salt: salt, hash: hash}, nil
}

func (h *hashedHost) match(host, port string) bool {
	// OpenSSH hashes the host name as typed, lowercased.
	for _, name := range []string{host, strings.ToLower(host)} {
		mac := hmac.New(sha1.New, h.salt)
		mac.Write([]byte(knownhosts.Normalize(net.JoinHostPort(name, port))))
		if hmac.Equal(mac.Sum(nil), h.hash) {
			return true
		}
	}
	return false
}

// check is an ssh.HostKeyCallback: it accepts a plain host key listed for the host, and a host
// certificate signed by an @cert-authority of the host (ssh.CertChecker checks the rest of the
// certificate). Refusals are *knownhosts.KeyError (Want lists the host's keys: empty when it is
// unknown), *knownhosts.RevokedError, or the certificate checker's error.
func (k *KnownHosts) check(hostname string, remote net.Addr, key ssh.PublicKey) error {
	checker := &ssh.CertChecker{
		IsHostAuthority: k.isHostAuthority,
		IsRevoked: func(cert *ssh.Certificate) bool {
			return k.isRevoked(cert.Key) || k.isRevoked(cert.SignatureKey)
		},
		HostKeyFallback: k.checkPlainKey,
	}
	return checker.CheckHostKey(hostname, remote, key)
}

func (k *KnownHosts) isRevoked(key ssh.PublicKey) bool {
	_, ok := k.revoked[string(plainKey(key).Marshal())]
	return ok
}

// isHostAuthority reports whether an @cert-authority line for address (host:port) holds auth.
func (k *KnownHosts) isHostAuthority(auth ssh.PublicKey, address string) bool {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return false
	}
	for _, l := range k.keys {
		if l.marker == markerCA && l.hosts.match(host, port) && bytes.Equal(l.known.Key.Marshal(), auth.Marshal()) {
			return true
		}
	}
	return false
}

// checkPlainKey checks a key that is not a certificate against the host key lines of the host
// (hostname, or remote's address when hostname is empty).
func (k *KnownHosts) checkPlainKey(hostname string, remote net.Addr, key ssh.PublicKey) error {
	if revoked, ok := k.revoked[string(key.Marshal())]; ok {
		return &knownhosts.RevokedError{Revoked: revoked}
	}
	address := hostname
	if address == "" {
		address = remote.String()
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("knownhosts: cannot tell the host and port of %q: %v", address, err)
	}
	keyErr := &knownhosts.KeyError{}
	for _, want := range k.keysFor(host, port) {
		keyErr.Want = append(keyErr.Want, want)
		if bytes.Equal(want.Key.Marshal(), key.Marshal()) {
			return nil
		}
	}
	return keyErr
}

// keysFor returns the host keys (not the certificate authorities) listed for host on port.
func (k *KnownHosts) keysFor(host, port string) []knownhosts.KnownKey {
	var keys []knownhosts.KnownKey
	for _, l := range k.keys {
		if l.marker == "" && l.hosts.match(host, port) {
			keys = append(keys, l.known)
		}
	}
	return keys
}
