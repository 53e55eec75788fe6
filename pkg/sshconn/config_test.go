package sshconn

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/twittix/infra/internal/testenv/sshd"
)

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	key := sshd.NewKey(t, sshd.Ed25519)
	good := Endpoint{Host: "twittix-1.example.com", User: "deploy", Key: key.OpenSSH(t), KnownHosts: "twittix-1.example.com " + key.AuthorizedKey()}

	tests := []struct {
		name string
		cfg  Config
		want []string // every error message, in order
	}{
		{"valid", Config{Endpoint: good}, nil},
		{"valid with agent only", Config{Endpoint: Endpoint{Host: "h", User: "u", AgentSocket: "/run/agent.sock"}, InsecureIgnoreHostKey: true}, nil},
		{"valid ipv6 in brackets", Config{Endpoint: Endpoint{Host: "[::1]", User: "u", Key: good.Key, HostFingerprint: "SHA256:" + strings.Repeat("A", 43)}}, nil},
		{"empty", Config{}, []string{
			"host is required: the host name or IP address of the SSH server",
			"user is required: the login name on the server, e.g. deploy",
			"key is required: paste a private key (or set agent_socket to an SSH agent socket when running locally)",
		}},
		{"host with user and port", Config{Endpoint: Endpoint{Host: "deploy@twittix-1:2222", User: "deploy", Key: good.Key}}, []string{
			"host must be a bare host name or IP address: set the login in user and the port in port",
		}},
		{"host with port", Config{Endpoint: Endpoint{Host: "twittix-1:2222", User: "deploy", Key: good.Key}}, []string{
			"host must not contain a port: set port",
		}},
		{"numbers out of range", Config{Endpoint: Endpoint{Host: "h", Port: 70000, User: "u", Key: good.Key},
			ConnectTimeout: -time.Second, KeepaliveMaxMissed: -1, ConnectRetries: -5, RetryBackoff: -1, DockerSocket: "docker.sock"}, []string{
			"port must be between 1 and 65535 (default 22)",
			"connect_timeout must be positive (e.g. 15s)",
			"keepalive_max_missed must be positive (e.g. 3)",
			"connect_retries must be 0 or more",
			"retry_backoff must be positive (e.g. 1s)",
			"docker_socket must be an absolute path on the server, e.g. /var/run/docker.sock",
		}},
		{"passphrase without key, relative agent", Config{Endpoint: Endpoint{Host: "h", User: "u", Passphrase: "secret", AgentSocket: "agent.sock"}}, []string{
			"passphrase is set but key is empty: set key too",
			"agent_socket must be the absolute path of an SSH agent socket (SSH_AUTH_SOCK)",
		}},
		{"bad key and bad pins together", Config{Endpoint: Endpoint{Host: "h", User: "u", Key: key.AuthorizedKey(), KnownHosts: "h ssh-ed25519", HostFingerprint: "abc"}}, []string{
			"key is a public key: paste the private key (the file without .pub, starting with -----BEGIN OPENSSH PRIVATE KEY-----)",
			"known_hosts line 1 must be `HOST KEY-TYPE BASE64-KEY`, as ssh-keyscan prints it",
			"host_fingerprint must look like SHA256:<43 base64 chars>, as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it on the server",
		}},
		{"insecure with pins", Config{Endpoint: good, InsecureIgnoreHostKey: true}, []string{
			"insecure_ignore_host_key cannot be combined with known_hosts or host_fingerprint: remove one of them",
		}},
		{"jump host inherits the target's key and known_hosts", Config{Endpoint: good, Jump: &Endpoint{Host: "bastion"}}, nil},
		{"empty jump host is no jump host", Config{Endpoint: good, Jump: &Endpoint{}}, nil},
		{"jump host fields use jump_ names", Config{Endpoint: good, Jump: &Endpoint{Port: 22, Passphrase: "x", HostFingerprint: "MD5:00"}}, []string{
			"jump_host is required: the host name or IP address of the SSH server",
			"jump_passphrase is set but jump_key is empty: set jump_key too",
			"jump_host_fingerprint must look like SHA256:<43 base64 chars>, as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it on the server",
		}},
		{"target problems are not repeated for the jump host", Config{Endpoint: Endpoint{Host: "h", User: "u", Key: "garbage", KnownHosts: "bad"}, Jump: &Endpoint{Host: "bastion"}}, []string{
			"key is not a private key: paste the whole key file, from the -----BEGIN line to the -----END line",
			"known_hosts line 1 must be `HOST KEY-TYPE BASE64-KEY`, as ssh-keyscan prints it",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			var got []string
			for _, fe := range fieldErrors(err) {
				got = append(got, fe.Error())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate() errors (-want +got):\n%s", diff)
			}
			if err != nil && len(got) == 0 {
				t.Errorf("Validate() = %v, not *FieldError values", err)
			}
			if err != nil {
				assertNoSecrets(t, []string{tc.cfg.Key, tc.cfg.Passphrase}, err.Error())
			}
		})
	}
}

func TestWithDefaults(t *testing.T) {
	t.Parallel()
	got := Config{Endpoint: Endpoint{User: "deploy"}, Jump: &Endpoint{Host: "bastion"}}.withDefaults()
	want := Config{
		Endpoint:           Endpoint{Port: 22, User: "deploy"},
		Jump:               &Endpoint{Host: "bastion", Port: 22, User: "deploy"},
		ConnectTimeout:     15 * time.Second,
		KeepaliveInterval:  15 * time.Second,
		KeepaliveMaxMissed: 3,
		DockerSocket:       "/var/run/docker.sock",
		ConnectRetries:     3,
		RetryBackoff:       time.Second,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("withDefaults (-want +got):\n%s", diff)
	}
	if got := (Config{ConnectRetries: NoRetries}).withDefaults().ConnectRetries; got != 0 {
		t.Errorf("NoRetries gives %d retries, want 0", got)
	}
}

// TestFieldNamesRenameEveryMention checks errors name the fields by Config.FieldNames, in the
// field and in the problem, and mark the required fields left empty as Missing.
func TestFieldNamesRenameEveryMention(t *testing.T) {
	t.Parallel()
	cfg := Config{Endpoint: Endpoint{Host: "h", Passphrase: "x"}, Jump: &Endpoint{Host: "bastion", Passphrase: "y"}, InsecureIgnoreHostKey: true,
		FieldNames: map[string]string{FieldKey: "ssh_key", FieldPassphrase: "ssh_passphrase", FieldUser: "login",
			JumpPrefix + FieldKey: "jump_ssh_key", JumpPrefix + FieldPassphrase: "jump_ssh_passphrase"}}
	type fieldError struct {
		Text    string
		Missing bool
	}
	var got []fieldError
	for _, e := range fieldErrors(cfg.Validate()) {
		got = append(got, fieldError{e.Error(), e.Missing})
	}
	want := []fieldError{
		{"login is required: the login name on h, e.g. deploy", true},
		{"ssh_passphrase is set but ssh_key is empty: set ssh_key too", false},
		{"jump_user is required: the login name on bastion, e.g. deploy", true},
		{"jump_ssh_passphrase is set but jump_ssh_key is empty: set jump_ssh_key too", false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestParseKeepsTheParsedKeys checks Parse returns the configuration with its keys parsed into
// Signers, no key text or passphrase left, for the target and a jump host with a key of its own;
// a jump host without one still uses the target's.
func TestParseKeepsTheParsedKeys(t *testing.T) {
	t.Parallel()
	const pass = "pw"
	k, jk := sshd.NewKey(t, sshd.Ed25519), sshd.NewKey(t, sshd.ECDSA)
	target := Endpoint{Host: "h", User: "u", Key: k.OpenSSHWithPassphrase(t, pass), Passphrase: pass}
	for _, tc := range []struct {
		name     string
		jump     *Endpoint
		wantJump ssh.PublicKey // nil: no jump host keys of its own
	}{
		{"no jump host", nil, nil},
		{"jump host with its key", &Endpoint{Host: "bastion", Key: jk.PEM(t)}, jk.Public},
		{"jump host with the target's key", &Endpoint{Host: "bastion"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Config{Endpoint: target, Jump: tc.jump, InsecureIgnoreHostKey: true}.Parse()
			if err != nil {
				t.Fatal(err)
			}
			checkParsed(t, "target", cfg.Endpoint, k.Public)
			if tc.jump != nil {
				checkParsed(t, "jump host", *cfg.Jump, tc.wantJump)
			}
			p, err := cfg.plan()
			if err != nil {
				t.Fatalf("the parsed configuration does not validate: %v", err)
			}
			if tc.jump != nil && tc.wantJump == nil && p.jump.signer != p.target.signer {
				t.Errorf("the jump host does not use the target's key")
			}
		})
	}
}

// checkParsed checks e holds the key want, parsed, and no key text or passphrase; or, for want
// nil, no key at all.
func checkParsed(t *testing.T, what string, e Endpoint, want ssh.PublicKey) {
	t.Helper()
	if e.Key != "" || e.Passphrase != "" || len(e.MoreKeys) > 0 {
		t.Errorf("%s: the key text or passphrase is left after Parse", what)
	}
	switch {
	case want == nil && len(e.Signers) > 0:
		t.Errorf("%s: %d signers, want none", what, len(e.Signers))
	case want != nil && (len(e.Signers) != 1 || !bytes.Equal(e.Signers[0].PublicKey().Marshal(), want.Marshal())):
		t.Errorf("%s: signers = %v, want the key", what, e.Signers)
	}
}
