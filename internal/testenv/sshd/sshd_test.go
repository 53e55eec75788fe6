package sshd

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func TestStartAcceptsAuthorizedKeysOnly(t *testing.T) {
	t.Parallel()
	user := NewKey(t, Ed25519)
	stranger := NewKey(t, Ed25519)
	s := Start(t, Options{AuthorizedKeys: []ssh.PublicKey{user.Public}})

	config := func(k Key) *ssh.ClientConfig {
		return &ssh.ClientConfig{
			User:            "root",
			Auth:            []ssh.AuthMethod{ssh.PublicKeys(k.Signer)},
			HostKeyCallback: ssh.FixedHostKey(s.HostKey),
		}
	}
	c, err := ssh.Dial("tcp", s.Addr(), config(user))
	if err != nil {
		t.Fatalf("login with the authorized key: %v", err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.Output("echo hello")
	if err != nil || string(out) != "hello\n" {
		t.Errorf("remote echo = %q, %v", out, err)
	}
	if _, err := ssh.Dial("tcp", s.Addr(), config(stranger)); err == nil {
		t.Errorf("a key that is not authorized logged in")
	}
}

func TestKeyFormatsParse(t *testing.T) {
	t.Parallel()
	for _, typ := range []KeyType{Ed25519, RSA, ECDSA} {
		k := NewKey(t, typ)
		for name, pemText := range map[string]string{"openssh": k.OpenSSH(t), "pem": k.PEM(t)} {
			s, err := ssh.ParsePrivateKey([]byte(pemText))
			if err != nil {
				t.Errorf("%s %s: %v", typ, name, err)
				continue
			}
			if got, want := ssh.FingerprintSHA256(s.PublicKey()), ssh.FingerprintSHA256(k.Public); got != want {
				t.Errorf("%s %s: fingerprint %s, want %s", typ, name, got, want)
			}
		}
	}
	// Encrypted OpenSSH keys go through bcrypt_pbkdf, slow under -race: one type is enough here.
	k := NewKey(t, Ed25519)
	if _, err := ssh.ParsePrivateKeyWithPassphrase([]byte(k.OpenSSHWithPassphrase(t, "pw")), []byte("pw")); err != nil {
		t.Errorf("encrypted: %v", err)
	}
}

func TestStartAgentServesKeys(t *testing.T) {
	t.Parallel()
	k := NewKey(t, ECDSA)
	path := StartAgent(t, k)
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	keys, err := agent.NewClient(c).List()
	if err != nil || len(keys) != 1 || !strings.HasPrefix(keys[0].Format, "ecdsa-") {
		t.Fatalf("agent keys = %v, %v; want the one ECDSA key", keys, err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("agent socket: %v", err)
	}
}

// TestStartSkipsAPortAnotherSSHDHolds hands start the port of a running sshd first, as when a
// parallel test's sshd wins the race for a port freePort found free: the server that answers
// there has another host key, so start must try another port rather than return a server whose
// host key the tests would then see mismatch.
func TestStartSkipsAPortAnotherSSHDHolds(t *testing.T) {
	t.Parallel()
	k := NewKey(t, Ed25519)
	other := Start(t, Options{AuthorizedKeys: []ssh.PublicKey{k.Public}})
	var picked []int
	pick := func() (int, error) {
		if len(picked) == 0 {
			picked = append(picked, other.Port)
			return other.Port, nil
		}
		port, err := freePort()
		picked = append(picked, port)
		return port, err
	}
	s, err := start(t.TempDir(), Options{AuthorizedKeys: []ssh.PublicKey{k.Public}}, pick)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer s.Close()
	if len(picked) < 2 || s.Port == other.Port {
		t.Fatalf("start returned port %d after trying %v: the port of another sshd (%d) was taken for ours", s.Port, picked, other.Port)
	}
	c, err := ssh.Dial("tcp", s.Addr(), &ssh.ClientConfig{
		User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(k.Signer)}, HostKeyCallback: ssh.FixedHostKey(s.HostKey),
	})
	if err != nil {
		t.Fatalf("login to the server start returned, with its own host key: %v", err)
	}
	c.Close()
	if got := checkHostKey(other.Addr(), s.HostKey); !errors.Is(got, errNotOurs) {
		t.Errorf("checkHostKey on another sshd = %v, want errNotOurs", got)
	}
}

// TestDropInsAndUserKeys checks that a drop-in is applied (here, for a real local account only)
// and that a user's own key logs in as that user and no other.
func TestDropInsAndUserKeys(t *testing.T) {
	t.Parallel()
	name := UniqueName("tsu")
	AddUser(t, name)
	k := NewKey(t, Ed25519)
	s := Start(t, Options{
		UserKeys: map[string][]ssh.PublicKey{name: {k.Public}},
		DropIns:  []string{"Match User " + name + "\n  ForceCommand echo dropped-in\n"},
	})
	login := func(user string) (*ssh.Client, error) {
		return ssh.Dial("tcp", s.Addr(), &ssh.ClientConfig{
			User: user, Auth: []ssh.AuthMethod{ssh.PublicKeys(k.Signer)}, HostKeyCallback: ssh.FixedHostKey(s.HostKey),
		})
	}
	c, err := login(name)
	if err != nil {
		t.Fatalf("login as %s with its key: %v", name, err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.Output("id -un")
	if err != nil || string(out) != "dropped-in\n" {
		t.Errorf("a command under the drop-in's ForceCommand = %q, %v; want dropped-in", out, err)
	}
	if c, err := login("root"); err == nil {
		c.Close()
		t.Errorf("the key of %s logged in as root", name)
	}
	if err := CheckConfig(t, "Match User "+name+"\n  PermitTTY no\n"); err != nil {
		t.Errorf("CheckConfig refused a valid drop-in: %v", err)
	}
	if err := CheckConfig(t, "Match User "+name+"\n  NoSuchOption yes\n"); err == nil || !strings.Contains(err.Error(), "NoSuchOption") {
		t.Errorf("CheckConfig of a bad drop-in = %v, want sshd's complaint", err)
	}
}
