package sshconn

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"

	"golang.org/x/crypto/ssh"
)

// maxKDFRounds bounds the bcrypt rounds of an encrypted OpenSSH key: ssh-keygen uses 16 by
// default and -a 100 is already slow; a crafted key with billions of rounds must not hang a run.
const maxKDFRounds = 1000

// decrypt decrypts a passphrase-protected key: its key derivation is the costly part of parsing
// a key (bcrypt rounds). Tests count its calls.
var decrypt = ssh.ParseRawPrivateKeyWithPassphrase

// ParsePrivateKey parses an SSH private key given as content: the OpenSSH format or PEM
// (PKCS#1, PKCS#8, SEC 1, legacy encrypted PEM), RSA, ECDSA or Ed25519, decrypted with passphrase
// when it is protected. It tolerates what pasting into a secret does to a key: surrounding
// blanks, indentation, CRLF line ends, literal "\n" sequences, and a base64-encoded file.
//
// Errors are *FieldError naming FieldKey or FieldPassphrase with a fixed sentence saying what to
// fix; they never contain any part of the key or the passphrase.
func ParsePrivateKey(key, passphrase string) (ssh.Signer, error) {
	return parseKey(Config{}.endpointNames(""), key, passphrase)
}

func parseKey(n names, key, passphrase string) (ssh.Signer, error) {
	text := normalizeKey(key)
	if text == "" {
		return nil, fieldErr(n.key, "is empty: paste the private key, from -----BEGIN to -----END")
	}
	if problem := notAPrivateKey(text); problem != "" {
		return nil, fieldErr(n.key, "%s", problem)
	}
	block, _ := pem.Decode([]byte(text))
	if block == nil || !strings.HasSuffix(block.Type, "PRIVATE KEY") {
		return nil, fieldErr(n.key, "is truncated or malformed: paste the whole file, from the -----BEGIN line to the -----END line")
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" {
		return nil, fieldErr(n.key, "is an encrypted PKCS#8 key, which is not supported: rewrite it in the OpenSSH format with `ssh-keygen -p -f KEY`")
	}
	data := pem.EncodeToMemory(block)

	raw, err := ssh.ParseRawPrivateKey(data)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if passphrase == "" {
			return nil, fieldErr(n.key, "is passphrase-protected: set %s", n.passphrase)
		}
		if kdfRounds(block) > maxKDFRounds {
			return nil, fieldErr(n.key, "is encrypted with more than %d bcrypt rounds: re-encrypt it with `ssh-keygen -p -a 100 -f KEY`", maxKDFRounds)
		}
		raw, err = decrypt(data, []byte(passphrase))
		if errors.Is(err, x509.IncorrectPasswordError) {
			return nil, fieldErr(n.passphrase, "does not decrypt %s: check the passphrase", n.key)
		}
	}
	if err != nil {
		if strings.Contains(err.Error(), "unsupported key type") {
			return nil, fieldErr(n.key, "has an unsupported key type: use an Ed25519, ECDSA or RSA key (ssh-keygen -t ed25519)")
		}
		return nil, fieldErr(n.key, "could not be parsed as an OpenSSH or PEM private key: it may be truncated or corrupted")
	}
	signer, err := ssh.NewSignerFromKey(raw)
	if err != nil {
		return nil, fieldErr(n.key, "has an unsupported key type: use an Ed25519, ECDSA or RSA key (ssh-keygen -t ed25519)")
	}
	if signer.PublicKey().Type() == "ssh-dss" {
		return nil, fieldErr(n.key, "is a DSA key, which OpenSSH no longer accepts: use an Ed25519 key (ssh-keygen -t ed25519)")
	}
	return signer, nil
}

// normalizeKey undoes what copying a key into a secret or a YAML input often does to it.
func normalizeKey(key string) string {
	s := strings.TrimSpace(key)
	if !strings.Contains(s, "\n") && strings.Contains(s, `\n`) {
		s = strings.ReplaceAll(s, `\n`, "\n")
	}
	if !strings.Contains(s, "-----BEGIN") && !strings.ContainsAny(s, " \n") {
		// A whole key file encoded in base64, as some secret stores want it.
		if dec, err := base64.StdEncoding.DecodeString(s); err == nil && bytes.Contains(dec, []byte("-----BEGIN")) {
			s = strings.TrimSpace(string(dec))
		}
	}
	lines := strings.Split(strings.ReplaceAll(s, "\r", ""), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// notAPrivateKey recognises the usual wrong pastes and says what to do instead.
func notAPrivateKey(text string) string {
	switch {
	case strings.HasPrefix(text, "PuTTY-User-Key-File"):
		return "is a PuTTY key (.ppk): convert it with `puttygen KEY.ppk -O private-openssh -o KEY` and paste the result"
	case strings.Contains(text, "BEGIN SSH2 ENCRYPTED PRIVATE KEY"):
		return "is in the SSH.com format: convert it with `ssh-keygen -i -f KEY` and paste the result"
	case strings.Contains(text, "BEGIN CERTIFICATE"):
		return "is an X.509 certificate: paste the SSH private key instead"
	case isPublicKey(text):
		return "is a public key: paste the private key (the file without .pub, starting with -----BEGIN OPENSSH PRIVATE KEY-----)"
	case !strings.Contains(text, "-----BEGIN"):
		return "is not a private key: paste the whole key file, from the -----BEGIN line to the -----END line"
	}
	return ""
}

func isPublicKey(text string) bool {
	if strings.Contains(text, "BEGIN PUBLIC KEY") || strings.Contains(text, "BEGIN SSH2 PUBLIC KEY") ||
		strings.Contains(text, "BEGIN RSA PUBLIC KEY") {
		return true
	}
	if strings.Contains(text, "-----BEGIN") {
		return false
	}
	_, _, _, _, err := ssh.ParseAuthorizedKey([]byte(text))
	return err == nil
}

// kdfRounds returns the bcrypt rounds of an encrypted OpenSSH key, or 0.
func kdfRounds(block *pem.Block) uint32 {
	const magic = "openssh-key-v1\x00"
	if block.Type != "OPENSSH PRIVATE KEY" || !bytes.HasPrefix(block.Bytes, []byte(magic)) {
		return 0
	}
	var header struct {
		CipherName string
		KdfName    string
		KdfOpts    string
		Rest       []byte `ssh:"rest"`
	}
	if err := ssh.Unmarshal(block.Bytes[len(magic):], &header); err != nil || header.KdfName != "bcrypt" {
		return 0
	}
	var opts struct {
		Salt   string
		Rounds uint32
	}
	if err := ssh.Unmarshal([]byte(header.KdfOpts), &opts); err != nil {
		return 0
	}
	return opts.Rounds
}
