package sshconn

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/twittix/infra/pkg/logging"
)

// HostKeyError is returned when a server's host key is refused. Its message prints the key the
// server presented and how to pin it; for a mismatch it warns about a possible man-in-the-middle.
type HostKeyError struct {
	// Host is the server as known_hosts names it: "host" on port 22, "[host]:port" otherwise.
	Host string
	// KeyType and Fingerprint describe the key the server presented ("ssh-ed25519",
	// "SHA256:...").
	KeyType     string
	Fingerprint string
	// KnownHostsLine is the known_hosts line that would accept the presented key.
	KnownHostsLine string
	// Expected lists the keys the configuration accepts for this host ("ssh-ed25519 SHA256:..."
	// from known_hosts, "SHA256:..." from fingerprints). A non-empty list means a mismatch.
	Expected []string
	// Revoked is true when known_hosts marks the presented key @revoked.
	Revoked bool
	// Reason is set when x/crypto/ssh refused a host certificate, and says why.
	Reason string

	fingerprintField, knownHostsField string
}

// Mismatch reports whether the host has pinned keys and presented another one.
func (e *HostKeyError) Mismatch() bool { return len(e.Expected) > 0 }

func (e *HostKeyError) Error() string {
	presented := fmt.Sprintf("%s presented the %s host key %s", e.Host, e.KeyType, e.Fingerprint)
	pin := fmt.Sprintf("`%s: %s` or the %s line `%s`", e.fingerprintField, e.Fingerprint, e.knownHostsField, e.KnownHostsLine)
	var b strings.Builder
	b.WriteString("host key verification failed: ")
	switch {
	case e.Revoked:
		fmt.Fprintf(&b, "%s, which %s marks @revoked: refusing to connect; give the server a new host key", presented, e.knownHostsField)
		return b.String()
	case e.Mismatch():
		fmt.Fprintf(&b, "%s, but %s or %s expects %s. Someone may be intercepting the connection (man-in-the-middle attack), or the server's host key changed: check the key on the server with `ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub`, and only if it did change, pin the new one with %s",
			presented, e.knownHostsField, e.fingerprintField, strings.Join(e.Expected, ", "), shortKeyType(e.KeyType), pin)
	default:
		fmt.Fprintf(&b, "%s, which is unknown: neither %s nor %s accepts it. If this is your server (compare with `ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub` run on it), pin it with %s",
			presented, e.knownHostsField, e.fingerprintField, shortKeyType(e.KeyType), pin)
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, " (%s)", e.Reason)
	}
	return b.String()
}

// shortKeyType maps a key type to the name in /etc/ssh/ssh_host_<name>_key.
func shortKeyType(t string) string {
	switch {
	case strings.Contains(t, "ed25519"):
		return "ed25519"
	case strings.Contains(t, "ecdsa"):
		return "ecdsa"
	case strings.Contains(t, "rsa"):
		return "rsa"
	}
	return "*"
}

// verifier checks the host key of one endpoint.
type verifier struct {
	n        names
	known    *KnownHosts
	pins     []string
	insecure bool
}

func newVerifier(n names, knownHosts, fingerprints string, insecure bool) (*verifier, error) {
	v := &verifier{n: n, insecure: insecure}
	var errs []error
	if strings.TrimSpace(knownHosts) != "" {
		k, err := parseKnownHosts(n, knownHosts)
		v.known = k
		errs = append(errs, err)
	}
	pins, err := parseFingerprints(n, fingerprints)
	v.pins = pins
	errs = append(errs, err)
	if insecure && (strings.TrimSpace(knownHosts) != "" || strings.TrimSpace(fingerprints) != "") {
		errs = append(errs, fieldErr(n.insecure, "cannot be combined with %s or %s: remove one of them", n.knownHosts, n.fingerprint))
	}
	return v, errors.Join(errs...)
}

// plainKey returns the key a certificate certifies, or key itself.
func plainKey(key ssh.PublicKey) ssh.PublicKey {
	if cert, ok := key.(*ssh.Certificate); ok {
		return cert.Key
	}
	return key
}

// callback returns the ssh.HostKeyCallback of the endpoint, which logs what it accepted.
func (v *verifier) callback(log logging.Logger) ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		host := knownhosts.Normalize(hostname)
		fp := ssh.FingerprintSHA256(plainKey(key))
		if v.insecure {
			log.Warnf("ssh: NOT verifying the host key of %s (%s is set): accepted %s %s; pin it with `%s: %s`",
				host, v.n.insecure, key.Type(), fp, v.n.fingerprint, fp)
			return nil
		}
		var knownErr error
		if v.known != nil {
			if knownErr = v.known.check(hostname, remote, key); knownErr == nil {
				log.Infof("ssh: host key of %s verified by %s: %s %s", host, v.n.knownHosts, key.Type(), fp)
				return nil
			}
		}
		e := &HostKeyError{
			Host: host, KeyType: key.Type(), Fingerprint: fp,
			KnownHostsLine:   knownhosts.Line([]string{host}, plainKey(key)),
			fingerprintField: string(v.n.fingerprint), knownHostsField: string(v.n.knownHosts),
		}
		var revoked *knownhosts.RevokedError
		if errors.As(knownErr, &revoked) {
			e.Revoked = true
			return e
		}
		if slices.Contains(v.pins, fp) {
			log.Infof("ssh: host key of %s verified by %s: %s %s", host, v.n.fingerprint, key.Type(), fp)
			return nil
		}
		var keyErr *knownhosts.KeyError
		if errors.As(knownErr, &keyErr) {
			for _, w := range keyErr.Want {
				e.Expected = append(e.Expected, w.Key.Type()+" "+ssh.FingerprintSHA256(w.Key))
			}
		} else if knownErr != nil {
			e.Reason = knownErr.Error()
		}
		e.Expected = append(e.Expected, v.pins...)
		return e
	}
}

// algorithms returns the host key algorithms to negotiate with addr: those of the keys known_hosts
// holds for it, so that a server with several host keys presents one we can verify. It returns
// nil (x/crypto/ssh's defaults) when fingerprints or certificate authorities are configured, or
// when known_hosts has no key for addr (the refusal then shows the server's preferred key).
func (v *verifier) algorithms(addr string) []string {
	if v.insecure || v.known == nil || v.known.hasCA || len(v.pins) > 0 {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil
	}
	var algos []string
	for _, w := range v.known.keysFor(host, port) {
		for _, a := range algorithmsForKeyType(w.Key.Type()) {
			if !slices.Contains(algos, a) {
				algos = append(algos, a)
			}
		}
	}
	return algos
}

func algorithmsForKeyType(t string) []string {
	if t == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{t}
}
