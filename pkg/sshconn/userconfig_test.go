package sshconn

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/twittix/infra/internal/testenv/sshd"
)

// writeHome writes files under a new home directory and returns it.
func writeHome(t *testing.T, files map[string]string) string {
	t.Helper()
	home := t.TempDir()
	for name, content := range files {
		p := filepath.Join(home, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return home
}

func TestLocalResolve(t *testing.T) {
	t.Parallel()
	k := sshd.NewKey(t, sshd.Ed25519)
	other := sshd.NewKey(t, sshd.Ed25519)
	locked := sshd.NewKey(t, sshd.Ed25519).OpenSSHWithPassphrase(t, "pw")
	config := `Host pre
  HostName twittix-1.example.com
  User alice
  Port 2222
  IdentityFile ~/.ssh/pre_key
  ProxyJump bob@bastion.example.com:2200

Host viaalias
  HostName 10.0.0.5
  ProxyJump bastion

Host bastion
  HostName bastion.example.com
  User carol
  Port 2201

Host locked
  IdentityFile ~/.ssh/locked

Host *
  User fallback
`
	home := writeHome(t, map[string]string{
		".ssh/config":      config,
		".ssh/pre_key":     k.OpenSSH(t),
		".ssh/id_ed25519":  other.OpenSSH(t),
		".ssh/locked":      locked,
		".ssh/known_hosts": "twittix-1.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n",
	})
	base := Local{SSHConfig: filepath.Join(home, ".ssh/config"), Home: home, User: "me"}

	t.Run("an alias takes HostName, User, Port, IdentityFile, known_hosts and ProxyJump", func(t *testing.T) {
		l := base
		l.Config.Host = "pre"
		cfg, err := l.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Host != "twittix-1.example.com" || cfg.User != "alice" || cfg.Port != 2222 {
			t.Errorf("target = %s@%s:%d, want alice@twittix-1.example.com:2222", cfg.User, cfg.Host, cfg.Port)
		}
		if keyFP(t, cfg.Key) != ssh.FingerprintSHA256(k.Public) {
			t.Errorf("key is not ~/.ssh/pre_key")
		}
		if !strings.Contains(cfg.KnownHosts, "twittix-1.example.com ssh-ed25519") {
			t.Errorf("known_hosts = %q, want ~/.ssh/known_hosts", cfg.KnownHosts)
		}
		if cfg.Jump == nil || cfg.Jump.Host != "bastion.example.com" || cfg.Jump.User != "bob" || cfg.Jump.Port != 2200 {
			t.Errorf("jump = %+v, want bob@bastion.example.com:2200", cfg.Jump)
		}
	})
	t.Run("a ProxyJump alias is resolved, and Host * gives the default user", func(t *testing.T) {
		l := base
		l.Config.Host = "viaalias"
		cfg, err := l.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Host != "10.0.0.5" || cfg.User != "fallback" {
			t.Errorf("target = %s@%s, want fallback@10.0.0.5", cfg.User, cfg.Host)
		}
		if cfg.Jump == nil || cfg.Jump.Host != "bastion.example.com" || cfg.Jump.User != "carol" || cfg.Jump.Port != 2201 {
			t.Errorf("jump = %+v, want carol@bastion.example.com:2201", cfg.Jump)
		}
		if keyFP(t, cfg.Key) != ssh.FingerprintSHA256(other.Public) {
			t.Errorf("key is not the default ~/.ssh/id_ed25519")
		}
	})
	t.Run("explicit settings win over the SSH config", func(t *testing.T) {
		l := base
		l.Config = Config{Endpoint: Endpoint{Host: "pre", User: "explicit", Port: 22, Key: "KEY", HostFingerprint: "SHA256:x"}, Jump: &Endpoint{}}
		cfg, err := l.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.User != "explicit" || cfg.Port != 22 || cfg.Key != "KEY" || cfg.KnownHosts != "" {
			t.Errorf("resolved %+v, want the explicit user, port and key, and no known_hosts beside the fingerprint", cfg.Endpoint)
		}
	})
	t.Run("a passphrase-protected key without an agent says how to fix it", func(t *testing.T) {
		l := base
		l.Config.Host = "locked"
		_, err := l.Resolve()
		if err == nil || !strings.Contains(err.Error(), "ssh-add") {
			t.Errorf("Resolve = %v, want an error saying to add the key to the agent", err)
		}
		l.AgentSocket = sshd.StartAgent(t)
		cfg, err := l.Resolve()
		if err != nil || cfg.AgentSocket != l.AgentSocket {
			t.Errorf("with an agent: %s, %v; want the agent and no error", cfg.AgentSocket, err)
		}
		l.AgentSocket = "/nonexistent/agent.sock"
		if _, err := l.Resolve(); err == nil || !strings.Contains(err.Error(), "ssh-add") {
			t.Errorf("with a stale SSH_AUTH_SOCK: %v; want it ignored, and the error without an agent", err)
		}
	})
	t.Run("no SSH config: the defaults", func(t *testing.T) {
		l := Local{Home: home, User: "me", Config: Config{Endpoint: Endpoint{Host: "plain.example.com"}}}
		cfg, err := l.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.User != "me" || cfg.Host != "plain.example.com" || keyFP(t, cfg.Key) != ssh.FingerprintSHA256(other.Public) || cfg.Jump != nil {
			t.Errorf("resolved %s@%s, jump %v, want me@plain.example.com with ~/.ssh/id_ed25519", cfg.User, cfg.Host, cfg.Jump)
		}
	})
	t.Run("several ProxyJump hops are refused", func(t *testing.T) {
		h := writeHome(t, map[string]string{".ssh/config": "Host x\n  ProxyJump a,b\n"})
		l := Local{SSHConfig: filepath.Join(h, ".ssh/config"), Home: h, User: "me", Config: Config{Endpoint: Endpoint{Host: "x"}}}
		if _, err := l.Resolve(); err == nil || !strings.Contains(err.Error(), "only one jump host") {
			t.Errorf("Resolve = %v, want a refusal of several hops", err)
		}
	})
}

// TestLocalResolveConnects logs in through an alias of an SSH config that names a jump host by
// its own alias, with the keys, known_hosts and user the config gives: both are real sshd.
func TestLocalResolveConnects(t *testing.T) {
	t.Parallel()
	k := sshd.NewKey(t, sshd.Ed25519)
	target := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{k.Public}})
	jump := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{k.Public}})
	config := "Host pre\n  HostName 127.0.0.1\n  Port " + strconv.Itoa(target.Port) + "\n  User root\n  ProxyJump hop\n" +
		"Host hop\n  HostName 127.0.0.1\n  Port " + strconv.Itoa(jump.Port) + "\n  User root\n"
	home := writeHome(t, map[string]string{
		".ssh/config":      config,
		".ssh/id_ed25519":  k.OpenSSH(t),
		".ssh/known_hosts": target.KnownHostsLine() + "\n" + jump.KnownHostsLine() + "\n",
	})
	cfg, err := Local{SSHConfig: filepath.Join(home, ".ssh/config"), Home: home, User: "nobody-here", Config: Config{Endpoint: Endpoint{Host: "pre"}}}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	log := newLog()
	c, err := Dial(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("Dial through the resolved alias: %v", err)
	}
	defer c.Close()
	if want := "connected to root@" + target.Addr() + " via root@" + jump.Addr(); !strings.Contains(log.String(), want) {
		t.Errorf("the log does not say %q:\n%s", want, log)
	}
}

// keyFP returns the fingerprint of a private key's public half, "" if it does not parse.
func keyFP(t *testing.T, pemText string) string {
	t.Helper()
	s, err := ssh.ParsePrivateKey([]byte(pemText))
	if err != nil {
		return ""
	}
	return ssh.FingerprintSHA256(s.PublicKey())
}

// TestLocalIdentityFiles checks that every usable IdentityFile key is kept, in order, and that
// the % tokens of OpenSSH are expanded in their names.
func TestLocalIdentityFiles(t *testing.T) {
	t.Parallel()
	k1, k2, k3 := sshd.NewKey(t, sshd.Ed25519), sshd.NewKey(t, sshd.Ed25519), sshd.NewKey(t, sshd.Ed25519)
	locked := sshd.NewKey(t, sshd.Ed25519).OpenSSHWithPassphrase(t, "pw")
	config := `Host several
  IdentityFile ~/.ssh/one
  IdentityFile ~/.ssh/absent
  IdentityFile ~/.ssh/locked
  IdentityFile ~/.ssh/two

Host tokens
  HostName h.example.com
  User alice
  Port 2222
  IdentityFile ~/.ssh/%h_%r_%u_%p_%n_100%%
  IdentityFile %d/.ssh/by-user/%u

Host defaultport
  HostName d.example.com
  IdentityFile ~/.ssh/%h-%p

Host unknowntoken
  IdentityFile ~/.ssh/%C

Host onlylocked
  IdentityFile ~/.ssh/absent
  IdentityFile ~/.ssh/locked

Host onlyabsent
  IdentityFile ~/.ssh/absent
`
	home := writeHome(t, map[string]string{
		".ssh/config": config,
		".ssh/one":    k1.OpenSSH(t),
		".ssh/two":    k2.OpenSSH(t),
		".ssh/locked": locked,
		".ssh/h.example.com_alice_me_2222_tokens_100%": k2.OpenSSH(t),
		".ssh/by-user/me":       k3.OpenSSH(t),
		".ssh/d.example.com-22": k3.OpenSSH(t),
	})
	fp := func(k sshd.Key) string { return ssh.FingerprintSHA256(k.Public) }
	tests := []struct {
		name, host string
		want       []string // fingerprints, in order
		wantErr    string
	}{
		{name: "every usable key, in order", host: "several", want: []string{fp(k1), fp(k2)}},
		{name: "%h %r %u %p %n %% and %d", host: "tokens", want: []string{fp(k2), fp(k3)}},
		{name: "%p without Port is 22", host: "defaultport", want: []string{fp(k3)}},
		{name: "an unsupported token", host: "unknowntoken", wantErr: "%C"},
		{name: "only a locked key", host: "onlylocked", wantErr: "ssh-add"},
		{name: "only a missing key", host: "onlyabsent", wantErr: "absent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := Local{SSHConfig: filepath.Join(home, ".ssh/config"), Home: home, User: "me", Config: Config{Endpoint: Endpoint{Host: tc.host}}}
			cfg, err := l.Resolve()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("Resolve = %v, want an error saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range append([]string{cfg.Key}, cfg.MoreKeys...) {
				got = append(got, keyFP(t, k))
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("keys = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestLocalOffersEveryIdentityFile logs in to a real sshd that knows only the second of two
// IdentityFile keys: as with OpenSSH, the first is refused and the second is tried.
func TestLocalOffersEveryIdentityFile(t *testing.T) {
	t.Parallel()
	first, second := sshd.NewKey(t, sshd.Ed25519), sshd.NewKey(t, sshd.Ed25519)
	s := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{second.Public}})
	config := "Host pre\n  HostName 127.0.0.1\n  Port " + strconv.Itoa(s.Port) + "\n  User root\n" +
		"  IdentityFile ~/.ssh/first\n  IdentityFile ~/.ssh/second\n"
	home := writeHome(t, map[string]string{
		".ssh/config":      config,
		".ssh/first":       first.OpenSSH(t),
		".ssh/second":      second.OpenSSH(t),
		".ssh/known_hosts": s.KnownHostsLine() + "\n",
	})
	cfg, err := Local{SSHConfig: filepath.Join(home, ".ssh/config"), Home: home, User: "me", Config: Config{Endpoint: Endpoint{Host: "pre"}}}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnectRetries = NoRetries
	c, err := Dial(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("Dial with the second IdentityFile authorized: %v", err)
	}
	c.Close()
}
