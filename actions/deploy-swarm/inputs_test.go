package deployswarm

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twittix/infra/internal/actiontest"
	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/pkg/action"
)

// parseInputs reads the inputs of a step with `with:` as the runner passes them (action.yml's
// defaults included), in a workspace holding a docker-compose.yml; nothing connects.
func parseInputs(t *testing.T, with map[string]string) (*options, error) {
	t.Helper()
	env := actiontest.NewEnv(t, nil)
	if err := os.WriteFile(filepath.Join(env.Workspace(), "docker-compose.yml"), []byte("services: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env.SetStepInputs(t, "action.yml", with)
	in := action.NewInputs("deploy-swarm")
	o := &options{}
	declare(in, o)
	rt := action.NewRuntime(action.WithGetenv(env.Getenv), action.WithWriter(io.Discard))
	return o, rt.Parse(in, nil)
}

// TestInputRules checks the rules of the inputs, each problem named by its input and all of them
// reported at once, without a swarm or an SSH server.
func TestInputRules(t *testing.T) {
	t.Parallel()
	key := sshd.NewKey(t, sshd.Ed25519)
	local := map[string]string{"stack_name": "shop", "docker_host": "/var/run/docker.sock"}
	with := func(more map[string]string) map[string]string {
		out := map[string]string{}
		for _, m := range []map[string]string{local, more} {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	tests := []struct {
		name   string
		with   map[string]string
		want   []string // problems, each "input name: ..."
		absent []string // texts no problem has
	}{
		{name: "local socket, nothing else", with: local},
		{name: "neither SSH nor a socket", with: map[string]string{"stack_name": "shop"},
			want: []string{"input host: is required unless docker_host", "input user: is required unless docker_host",
				"input ssh_key: is required unless docker_host or ssh_auth_sock"},
			absent: []string{"is required: the host name", "is required: the login name", "is required: paste"}},
		{name: "both SSH and a socket", with: with(map[string]string{"host": "m1"}),
			want: []string{"input host: is mutually exclusive with docker_host"}},
		{name: "a remote docker_host", with: map[string]string{"stack_name": "shop", "docker_host": "tcp://m1:2375"},
			want: []string{"input docker_host: only local sockets are supported"}},
		{name: "bad env and env_secrets lines", with: with(map[string]string{"env": "A=1\nnot a variable", "env_secrets": "TOKEN \"hunter2\""}),
			want:   []string{"input env: line 2: ", "input env_secrets: line 1: variable name \"TOKEN\" is followed by whitespace"},
			absent: []string{"hunter2"}},
		{name: "a variable in env and env_secrets", with: with(map[string]string{"env": "B=1\nA=1", "env_secrets": "A=s3cret\nB=x\nC=y"}),
			want: []string{"input env_secrets: sets A, B, which env sets too; set each variable in one of them"}, absent: []string{"s3cret"}},
		{name: "registry auth without credentials", with: with(map[string]string{"with_registry_auth": "true"}),
			want: []string{"input registry: is required when with_registry_auth is true", "input registry_username: is required when",
				"input registry_password: is required when"}},
		{name: "a registry password without registry auth", with: with(map[string]string{"registry_password": "pw"}),
			want: []string{"input registry_password: is set but with_registry_auth is false"}},
		{name: "env_from_runner with a token", with: with(map[string]string{"env_from_runner": "APP, GITHUB_TOKEN"}),
			want: []string{"input env_from_runner: GITHUB_TOKEN is never passed"}},
		{name: "SSH: a passphrase key without its passphrase, a port out of range",
			with: map[string]string{"stack_name": "shop", "host": "m1", "user": "deploy", "ssh_key": key.OpenSSHWithPassphrase(t, "pw"), "port": "0", "host_fingerprint": "MD5:aa"},
			want: []string{"input ssh_key: is passphrase-protected: set ssh_passphrase", "input port: ", "input host_fingerprint: "}},
		{name: "SSH: a public key, a jump host's passphrase without its key",
			with: map[string]string{"stack_name": "shop", "host": "m1", "user": "deploy", "ssh_key": key.AuthorizedKey(), "known_hosts": "m1 " + key.AuthorizedKey(),
				"jump_host": "bastion", "jump_ssh_passphrase": "pw"},
			want: []string{"input ssh_key: is a public key", "input jump_ssh_passphrase: is set but jump_ssh_key is empty: set jump_ssh_key too"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseInputs(t, tc.with)
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			if len(tc.want) == 0 && err != nil {
				t.Fatalf("inputs: %v", err)
			}
			for i, text := range slices.Concat(tc.want, tc.absent) {
				if has, want := strings.Contains(msg, text), i < len(tc.want); has != want {
					t.Errorf("problems have %q: %v, want %v:\n%s", text, has, want, msg)
				}
			}
		})
	}
}

// TestInputsAreParsedOnce checks the inputs hold their typed values once read: the variables of
// env and env_secrets, env_from_runner's names, and the SSH key parsed, which the connection
// uses as it is.
func TestInputsAreParsedOnce(t *testing.T) {
	t.Parallel()
	key := sshd.NewKey(t, sshd.Ed25519)
	o, err := parseInputs(t, map[string]string{
		"stack_name": "shop", "host": "m1", "user": "deploy", "ssh_key": key.OpenSSHWithPassphrase(t, "pw"), "ssh_passphrase": "pw",
		"known_hosts": "m1 " + key.AuthorizedKey(), "env": "A=1\r\nB=two words\n", "env_secrets": "TOKEN=s3cret", "env_from_runner": "APP_VERSION",
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"A": "1", "B": "two words"}, o.env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"TOKEN": "s3cret"}, o.secretEnv); diff != "" {
		t.Errorf("env_secrets (-want +got):\n%s", diff)
	}
	if !o.fromRunner.enabled || !cmp.Equal(o.fromRunner.names, []string{"APP_VERSION"}) {
		t.Errorf("env_from_runner = %+v, want enabled with APP_VERSION", o.fromRunner)
	}
	cfg := o.ssh.Config()
	if cfg.Key != "" || cfg.Passphrase != "" || len(cfg.Signers) != 1 || string(cfg.Signers[0].PublicKey().Marshal()) != string(key.Public.Marshal()) {
		t.Errorf("the SSH configuration does not hold the parsed key alone: key %d bytes, passphrase %d bytes, %d signers", len(cfg.Key), len(cfg.Passphrase), len(cfg.Signers))
	}
	if cfg.DockerSocket != "/var/run/docker.sock" {
		t.Errorf("docker_socket = %q, want the default", cfg.DockerSocket)
	}
}
