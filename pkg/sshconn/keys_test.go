package sshconn

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/twittix/infra/internal/testenv/sshd"
)

func TestParsePrivateKeyFormats(t *testing.T) {
	t.Parallel()
	for _, typ := range []sshd.KeyType{sshd.Ed25519, sshd.ECDSA, sshd.RSA} {
		k := sshd.NewKey(t, typ)
		openssh := k.OpenSSH(t)
		tests := []struct {
			name, key string
		}{
			{"openssh", openssh},
			{"pem", k.PEM(t)},
			{"crlf and indentation", "  " + strings.ReplaceAll(openssh, "\n", "\r\n    ")},
			{"escaped newlines", strings.ReplaceAll(strings.TrimSpace(openssh), "\n", `\n`)},
			{"base64 of the file", base64.StdEncoding.EncodeToString([]byte(openssh))},
		}
		for _, tc := range tests {
			t.Run(string(typ)+"/"+tc.name, func(t *testing.T) {
				signer, err := ParsePrivateKey(tc.key, "")
				if err != nil {
					t.Fatalf("ParsePrivateKey: %v", err)
				}
				if got, want := ssh.FingerprintSHA256(signer.PublicKey()), ssh.FingerprintSHA256(k.Public); got != want {
					t.Errorf("fingerprint = %s, want %s", got, want)
				}
			})
		}
	}
}

func TestParsePrivateKeyPassphrase(t *testing.T) {
	t.Parallel()
	const pass = "correct horse battery staple"
	k := sshd.NewKey(t, sshd.Ed25519)
	encrypted := k.OpenSSHWithPassphrase(t, pass) // bcrypt: slow under -race, so one key only
	rsaKey := sshd.NewKey(t, sshd.RSA)
	//lint:ignore SA1019 legacy encrypted PEM is what `openssl rsa -aes256` still writes.
	legacyBlock, err := x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY",
		x509.MarshalPKCS1PrivateKey(rsaKey.Private.(*rsa.PrivateKey)), []byte(pass), x509.PEMCipherAES256)
	if err != nil {
		t.Fatal(err)
	}
	legacy := string(pem.EncodeToMemory(legacyBlock))

	tests := []struct {
		name, key, passphrase string
		wantField, wantText   string // empty: no error
	}{
		{"openssh right", encrypted, pass, "", ""},
		{"openssh missing", encrypted, "", FieldKey, "key is passphrase-protected: set passphrase"},
		{"openssh wrong", encrypted, "wrong", FieldPassphrase, "passphrase does not decrypt key"},
		{"legacy pem right", legacy, pass, "", ""},
		{"legacy pem missing", legacy, "", FieldKey, "key is passphrase-protected: set passphrase"},
		{"legacy pem wrong", legacy, "wrong", FieldPassphrase, "passphrase does not decrypt key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParsePrivateKey(tc.key, tc.passphrase)
			checkFieldError(t, err, tc.wantField, tc.wantText)
			if err != nil {
				assertNoSecrets(t, []string{tc.key, pass}, err.Error())
			}
		})
	}
}

func TestParsePrivateKeyRejects(t *testing.T) {
	t.Parallel()
	k := sshd.NewKey(t, sshd.Ed25519)
	openssh := k.OpenSSH(t)
	lines := strings.Split(strings.TrimSpace(openssh), "\n")
	pkcs8, _ := pem.Decode([]byte(sshd.NewKey(t, sshd.ECDSA).PEM(t)))

	tests := []struct {
		name, key, want string
	}{
		{"empty", "  \n ", "key is empty"},
		{"public key", k.AuthorizedKey(), "key is a public key: paste the private key"},
		{"pem public key", "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n", "key is a public key"},
		{"not a key", "hunter2", "key is not a private key"},
		{"putty", "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n", "key is a PuTTY key"},
		{"missing end line", strings.Join(lines[:len(lines)-1], "\n"), "key is truncated or malformed"},
		{"missing body lines", lines[0] + "\n" + lines[1] + "\n" + lines[len(lines)-1], "key could not be parsed"},
		{"certificate", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "key is an X.509 certificate"},
		{"encrypted pkcs8", string(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: pkcs8.Bytes})), "key is an encrypted PKCS#8 key"},
		{"unknown pem type", string(pem.EncodeToMemory(&pem.Block{Type: "FOO PRIVATE KEY", Bytes: pkcs8.Bytes})), "key has an unsupported key type"},
		{"huge kdf rounds", withKDFRounds(t, k.OpenSSHWithPassphrase(t, "pw"), 1<<31), "key is encrypted with more than 1000 bcrypt rounds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParsePrivateKey(tc.key, "pw")
			if tc.name != "huge kdf rounds" {
				_, err = ParsePrivateKey(tc.key, "")
			}
			checkFieldError(t, err, FieldKey, tc.want)
			if err != nil {
				assertNoSecrets(t, []string{openssh, "pw"}, err.Error())
			}
		})
	}
}

// withKDFRounds rewrites the bcrypt rounds of an encrypted OpenSSH key.
func withKDFRounds(t *testing.T, key string, rounds uint32) string {
	t.Helper()
	const magic = "openssh-key-v1\x00"
	block, _ := pem.Decode([]byte(key))
	var w struct {
		CipherName, KdfName, KdfOpts string
		NumKeys                      uint32
		PubKey, PrivKeyBlock         []byte
	}
	if err := ssh.Unmarshal(block.Bytes[len(magic):], &w); err != nil {
		t.Fatal(err)
	}
	var opts struct {
		Salt   string
		Rounds uint32
	}
	if err := ssh.Unmarshal([]byte(w.KdfOpts), &opts); err != nil {
		t.Fatal(err)
	}
	opts.Rounds = rounds
	w.KdfOpts = string(ssh.Marshal(opts))
	block.Bytes = append([]byte(magic), ssh.Marshal(w)...)
	return string(pem.EncodeToMemory(block))
}

// checkFieldError checks that err is a *FieldError on field whose message contains text, or nil
// when field is empty.
func checkFieldError(t *testing.T, err error, field, text string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("err = %v, want none", err)
		}
		return
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a *FieldError on %s", err, field)
	}
	if fe.Field != field || !strings.Contains(err.Error(), text) {
		t.Errorf("err = %q (field %s), want field %s and %q", err, fe.Field, field, text)
	}
}
