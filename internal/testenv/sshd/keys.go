package sshd

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"
)

// KeyType names a user key algorithm.
type KeyType string

// The key types tests generate.
const (
	Ed25519 KeyType = "ed25519"
	RSA     KeyType = "rsa"
	ECDSA   KeyType = "ecdsa"
)

// Key is a freshly generated user key.
type Key struct {
	Type    KeyType
	Private crypto.Signer
	Signer  ssh.Signer
	Public  ssh.PublicKey
}

// NewKey generates a key of type typ (RSA keys are 2048 bits, ECDSA keys use P-256).
func NewKey(t testing.TB, typ KeyType) Key {
	t.Helper()
	var (
		priv crypto.Signer
		err  error
	)
	switch typ {
	case Ed25519:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case RSA:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case ECDSA:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		t.Fatalf("unknown key type %q", typ)
	}
	if err != nil {
		t.Fatalf("generating a %s key: %v", typ, err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatalf("ssh signer for a %s key: %v", typ, err)
	}
	return Key{Type: typ, Private: priv, Signer: signer, Public: signer.PublicKey()}
}

// OpenSSH returns the key in the OpenSSH format ("-----BEGIN OPENSSH PRIVATE KEY-----"), as
// ssh-keygen writes it.
func (k Key) OpenSSH(t testing.TB) string {
	t.Helper()
	block, err := ssh.MarshalPrivateKey(k.Private, "test key")
	if err != nil {
		t.Fatalf("encoding the %s key: %v", k.Type, err)
	}
	return string(pem.EncodeToMemory(block))
}

// OpenSSHWithPassphrase returns the key in the OpenSSH format, encrypted with passphrase.
func (k Key) OpenSSHWithPassphrase(t testing.TB, passphrase string) string {
	t.Helper()
	block, err := ssh.MarshalPrivateKeyWithPassphrase(k.Private, "test key", []byte(passphrase))
	if err != nil {
		t.Fatalf("encrypting the %s key: %v", k.Type, err)
	}
	return string(pem.EncodeToMemory(block))
}

// PEM returns the key in the classic PEM format: PKCS#1 ("RSA PRIVATE KEY") for RSA, SEC 1
// ("EC PRIVATE KEY") for ECDSA and PKCS#8 ("PRIVATE KEY") for Ed25519.
func (k Key) PEM(t testing.TB) string {
	t.Helper()
	var block *pem.Block
	switch priv := k.Private.(type) {
	case *rsa.PrivateKey:
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)}
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(priv)
		if err != nil {
			t.Fatalf("encoding the ECDSA key: %v", err)
		}
		block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	default:
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			t.Fatalf("encoding the %s key: %v", k.Type, err)
		}
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
	return string(pem.EncodeToMemory(block))
}

// AuthorizedKey returns the public key as an authorized_keys line (what a .pub file holds).
func (k Key) AuthorizedKey() string { return string(ssh.MarshalAuthorizedKey(k.Public)) }

// KeyFile is a user key written to a file, for programs that run outside a test (benchmarks, the
// demo) and give the key to ssh with -i as well as to pkg/sshconn as text.
type KeyFile struct {
	Public ssh.PublicKey
	PEM    string // the private key, OpenSSH format, unencrypted
	Path   string // where PEM is written, mode 0600
}

// WriteKeyFile generates an Ed25519 key and writes it to dir/id_ed25519.
func WriteKeyFile(dir string) (KeyFile, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return KeyFile{}, err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return KeyFile{}, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "twittix")
	if err != nil {
		return KeyFile{}, err
	}
	k := KeyFile{Public: sshPub, PEM: string(pem.EncodeToMemory(block)), Path: filepath.Join(dir, "id_ed25519")}
	if err := os.WriteFile(k.Path, []byte(k.PEM), 0o600); err != nil {
		return KeyFile{}, err
	}
	return k, nil
}
