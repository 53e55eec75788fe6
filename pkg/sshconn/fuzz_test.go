package sshconn

import (
	"regexp"
	"strings"
	"testing"

	"github.com/twittix/infra/internal/testenv/sshd"
)

// Parser errors come from a fixed set of sentences: whatever the input, they cannot echo it.
var (
	keyErrorPattern = regexp.MustCompile(`^(key|passphrase) [a-zA-Z0-9 ,:;()#.\x60<>/_=+-]+$`)
	// known_hosts errors may carry a fingerprint (a hash of a public key) but nothing longer.
	knownHostsErrorPattern  = regexp.MustCompile(`^known_hosts (line \d+ )?[a-zA-Z0-9 ,:;()#.\x60<>/_~=|!@\[\]*-]+( SHA256:[A-Za-z0-9+/]{43})?$`)
	fingerprintErrorPattern = regexp.MustCompile(`^host_fingerprint [a-zA-Z0-9 ,:;()#.\x60<>/_=-]+$`)
)

// checkNoEcho fails if msg contains a run of 12 characters of input that is not in the fixed
// vocabulary of the messages (which does contain words like "known_hosts").
func checkNoEcho(t *testing.T, input, msg string, pattern *regexp.Regexp) {
	t.Helper()
	for _, line := range strings.Split(msg, "\n") {
		if !pattern.MatchString(line) {
			t.Fatalf("error %q is not one of the fixed messages", line)
		}
	}
	for _, tok := range strings.Fields(input) {
		if len(tok) >= 24 && strings.Contains(msg, tok) && !strings.HasPrefix(tok, "SHA256:") {
			t.Fatalf("error %q echoes the input %q", msg, tok)
		}
	}
}

func FuzzParsePrivateKey(f *testing.F) {
	k := sshd.NewKey(f, sshd.Ed25519)
	e := sshd.NewKey(f, sshd.ECDSA)
	for _, seed := range []string{
		k.OpenSSH(f), k.PEM(f), e.PEM(f), e.OpenSSH(f), k.AuthorizedKey(),
		strings.ReplaceAll(k.OpenSSH(f), "\n", `\n`),
		"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
		"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
		"PuTTY-User-Key-File-3: ssh-rsa", "", "garbage",
	} {
		f.Add(seed, "")
		f.Add(seed, "passphrase")
	}
	f.Fuzz(func(t *testing.T, key, passphrase string) {
		_, err := ParsePrivateKey(key, passphrase)
		if err == nil {
			return
		}
		checkNoEcho(t, key, err.Error(), keyErrorPattern)
		if len(passphrase) >= 4 && strings.Contains(err.Error(), passphrase) && !keyErrorPattern.MatchString(passphrase) {
			t.Fatalf("error %q echoes the passphrase", err)
		}
	})
}

func FuzzParseKnownHosts(f *testing.F) {
	k := sshd.NewKey(f, sshd.Ed25519)
	line := "[127.0.0.1]:2222 " + k.AuthorizedKey()
	for _, seed := range []string{
		line,
		"# comment\n" + line + "\n\n",
		"|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= " + k.AuthorizedKey(),
		"@cert-authority *.example.com " + k.AuthorizedKey(),
		"@revoked * " + k.AuthorizedKey(),
		"host1,!host2,[h]:22 " + k.AuthorizedKey(),
		k.AuthorizedKey(),
		"h ssh-ed25519 AAAA",
		"@@ x y z", "|1|x|y ssh-rsa AAAA", "[h ssh-rsa AAAA", "", "\x00\n\r\t",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, content string) {
		_, err := ParseKnownHosts(content)
		if err == nil {
			return
		}
		checkNoEcho(t, content, err.Error(), knownHostsErrorPattern)
	})
}

func FuzzParseFingerprints(f *testing.F) {
	for _, seed := range []string{
		"SHA256:" + strings.Repeat("A", 43), "SHA256:" + strings.Repeat("A", 43) + "=",
		"SHA256:abc", "MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48", "a,b c\nd", "", "SHA256:",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fps, err := ParseFingerprints(s)
		if err != nil {
			checkNoEcho(t, s, err.Error(), fingerprintErrorPattern)
			return
		}
		for _, fp := range fps {
			if len(fp) != len("SHA256:")+43 {
				t.Fatalf("accepted a malformed fingerprint %q", fp)
			}
		}
	})
}
