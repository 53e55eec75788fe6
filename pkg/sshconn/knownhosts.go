package sshconn

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// KnownHosts is parsed known_hosts content.
type KnownHosts struct {
	check ssh.HostKeyCallback
	hasCA bool
	lines int
}

// Lines returns how many host key lines (markers included) the content holds.
func (k *KnownHosts) Lines() int { return k.lines }

// ParseKnownHosts parses known_hosts content: the lines of ~/.ssh/known_hosts or the output of
// ssh-keyscan, with plain, wildcard, negated, hashed (|1|...) and [host]:port host patterns, and
// the @cert-authority and @revoked markers. Every bad line is reported, by number; errors are
// *FieldError naming FieldKnownHosts and never quote the content.
func ParseKnownHosts(content string) (*KnownHosts, error) {
	return parseKnownHosts(endpointNames(""), content)
}

func parseKnownHosts(n names, content string) (*KnownHosts, error) {
	if strings.Contains(content, "PRIVATE KEY") {
		return nil, fieldErr(n.knownHosts, "contains a private key: paste host public keys (ssh-keyscan output) instead, and consider that private key leaked")
	}
	k := &KnownHosts{}
	var errs []error
	for i, line := range strings.Split(content, "\n") {
		line = strings.Trim(line, " \t\r")
		if line == "" || line[0] == '#' {
			continue
		}
		k.lines++
		marker, problem := checkKnownHostsLine(n, line)
		if problem != "" {
			errs = append(errs, fieldErr(n.knownHosts, "line %d %s", i+1, problem))
		}
		k.hasCA = k.hasCA || marker == "@cert-authority"
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if k.lines == 0 {
		return nil, fieldErr(n.knownHosts, "has no host key line: paste the output of `ssh-keyscan -p PORT HOST`, or lines of ~/.ssh/known_hosts")
	}
	check, err := knownHostsCallback(content)
	if err != nil {
		return nil, fieldErr(n.knownHosts, "%s", err)
	}
	k.check = check
	return k, nil
}

// checkKnownHostsLine mirrors the parser of x/crypto/ssh/knownhosts to explain what is wrong with
// a line. It returns the line's marker and a problem, without quoting the line.
func checkKnownHostsLine(n names, line string) (marker, problem string) {
	f := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' })
	if strings.HasPrefix(f[0], "@") {
		if f[0] != "@cert-authority" && f[0] != "@revoked" {
			return "", "has an unknown marker: only @cert-authority and @revoked are supported"
		}
		marker, f = f[0], f[1:]
	}
	if len(f) >= 2 {
		if key := publicKey(f[0], f[1]); key != nil {
			return marker, fmt.Sprintf("is a public key without a host: prefix it with the host, as in `[HOST]:PORT %s AAAA...`, or pin it with %s: %s",
				key.Type(), n.fingerprint, ssh.FingerprintSHA256(key))
		}
	}
	if len(f) < 3 {
		return marker, "must be `HOST KEY-TYPE BASE64-KEY`, as ssh-keyscan prints it"
	}
	if problem := checkHostPatterns(f[0]); problem != "" {
		return marker, problem
	}
	blob, err := base64.StdEncoding.DecodeString(f[2])
	if err != nil {
		return marker, "has a key that is not valid base64: it may be truncated"
	}
	key, err := ssh.ParsePublicKey(blob)
	if err != nil {
		return marker, "has a key that could not be parsed: it may be truncated"
	}
	if key.Type() != f[1] {
		return marker, "has a key type that does not match its key"
	}
	return marker, ""
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

func checkHostPatterns(pattern string) string {
	if pattern[0] == '@' {
		return "has more than one marker"
	}
	if pattern[0] == '|' {
		parts := strings.Split(pattern, "|")
		if len(parts) != 4 || parts[1] != "1" || !isBase64(parts[2]) || !isBase64(parts[3]) {
			return "has a malformed hashed host: it must look like |1|SALT|HASH, as `ssh-keyscan -H` prints it"
		}
		return ""
	}
	for _, p := range strings.Split(pattern, ",") {
		if p == "" {
			continue
		}
		if p[0] == '!' {
			if p = p[1:]; p == "" {
				return "has a negation (!) without a host"
			}
		}
		if strings.HasPrefix(p, "[") {
			if _, _, err := net.SplitHostPort(p); err != nil {
				return "has a malformed [HOST]:PORT pattern"
			}
		}
	}
	return ""
}

func isBase64(s string) bool {
	_, err := base64.StdEncoding.DecodeString(s)
	return err == nil
}

var knownHostsLineNumber = regexp.MustCompile(`:(\d+): `)

// knownHostsCallback builds the callback of x/crypto/ssh/knownhosts from content. That package
// only reads files, so the content goes through a temporary file, removed at once (known_hosts
// holds public keys only).
func knownHostsCallback(content string) (ssh.HostKeyCallback, error) {
	f, err := os.CreateTemp("", "sshconn-known_hosts-")
	if err != nil {
		return nil, fmt.Errorf("could not be stored in a temporary file: %w", err)
	}
	defer os.Remove(f.Name())
	_, werr := f.WriteString(content)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, fmt.Errorf("could not be stored in a temporary file: %w", werr)
	}
	check, err := knownhosts.New(f.Name())
	if err != nil {
		if m := knownHostsLineNumber.FindStringSubmatch(err.Error()); m != nil {
			return nil, fmt.Errorf("line %s could not be parsed", m[1])
		}
		return nil, errors.New("could not be parsed: check that each line is `HOST KEY-TYPE BASE64-KEY`")
	}
	return check, nil
}
