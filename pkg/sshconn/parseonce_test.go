package sshconn_test

import (
	"context"
	"io"
	"strconv"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/twittix/infra/internal/sshinputs"
	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/sshconn"
)

// TestInputsDecryptTheKeyOnce checks that a passphrase-protected ssh_key is decrypted once in a
// run of an action: when its SSH inputs are checked, and not again when Dial connects with them
// (the key derivation of a key with many bcrypt rounds takes seconds).
func TestInputsDecryptTheKeyOnce(t *testing.T) {
	// Not parallel: CountDecryptions counts the decryptions of the whole package.
	decryptions := sshconn.CountDecryptions(t)
	const pass = "s3cret passphrase"
	k := sshd.NewKey(t, sshd.Ed25519)
	s := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{k.Public}})

	in := action.NewInputs("test")
	var o sshinputs.Options
	sshinputs.Declare(in, &o, sshinputs.Spec{})
	rt := action.NewRuntime(action.WithGetenv(func(string) string { return "" }), action.WithWriter(io.Discard))
	if err := rt.Parse(in, []string{"--host", s.Host, "--port", strconv.Itoa(s.Port), "--user", "root",
		"--ssh-key", k.OpenSSHWithPassphrase(t, pass), "--ssh-passphrase", pass, "--known-hosts", s.KnownHostsLine()}); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := decryptions(); got != 1 {
		t.Fatalf("checking the inputs decrypted the key %d times, want 1", got)
	}
	c, err := sshconn.Dial(context.Background(), o.Config(), nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	if got := decryptions(); got != 1 {
		t.Errorf("the inputs' check and Dial decrypted the key %d times, want once", got)
	}
}
