package sshinputs

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/twittix/infra/pkg/action"
)

func TestDeclare(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		spec    Spec
		args    []string
		want    []string // problems, each "input problem..."
		wantNot []string
		absent  []string // texts no error has
	}{
		{name: "optional SSH, no host: nothing to check", args: nil},
		{name: "optional SSH, host alone", args: []string{"--host", "m1"},
			want: []string{"input user: is required: the login name on m1", "input ssh_key: is required: paste a private key"}},
		{name: "bad key and conflicting host-key rules", args: []string{"--host", "m1", "--user", "deploy", "--ssh-key", "not a key",
			"--insecure-ignore-host-key", "--host-fingerprint", "SHA256:x"},
			want: []string{"input ssh_key: ", "input insecure_ignore_host_key: ", "host_fingerprint"}},
		{name: "with Local, neither", spec: Spec{Local: "docker_host"}, args: nil,
			want: []string{"input host: is required unless docker_host", "input user: is required unless docker_host", "input ssh_key: is required unless docker_host or ssh_auth_sock"},
			// sshconn's own "is required" of the same fields is not reported twice.
			absent: []string{"is required: the host name", "is required: the login name", "is required: paste a private key"}},
		{name: "with Local, a jump host without user: jump_user reported", spec: Spec{Local: "docker_host"}, args: []string{"--host", "m1", "--ssh-key", "not a key", "--jump-host", "bastion"},
			want:   []string{"input user: is required unless docker_host", "input jump_user: is required: the login name on bastion", "input ssh_key: is not a private key"},
			absent: []string{"input user: is required: the login name"}},
		{name: "sshconn's names are the inputs'", args: []string{"--host", "m1", "--user", "u", "--ssh-passphrase", "x", "--jump-host", "b", "--jump-ssh-passphrase", "y", "--insecure-ignore-host-key"},
			want: []string{"input ssh_passphrase: is set but ssh_key is empty: set ssh_key too", "input jump_ssh_passphrase: is set but jump_ssh_key is empty: set jump_ssh_key too"}},
		{name: "with Local set, SSH unchecked", spec: Spec{Local: "docker_host"}, args: []string{"--docker-host", "/var/run/docker.sock"},
			wantNot: []string{"host", "user", "ssh_key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := action.NewInputs("test")
			var o Options
			Declare(in, &o, tc.spec)
			if tc.spec.Local != "" {
				var local string
				in.String(&local, action.Input{Name: tc.spec.Local, Usage: "local socket"})
			}
			rt := action.NewRuntime(action.WithGetenv(func(string) string { return "" }), action.WithWriter(io.Discard))
			err := rt.Parse(in, tc.args)
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			if len(tc.want) == 0 && len(tc.wantNot) == 0 && err != nil {
				t.Fatalf("Parse: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("errors %q lack %q", msg, w)
				}
			}
			if i := slices.IndexFunc(tc.absent, func(w string) bool { return strings.Contains(msg, w) }); i >= 0 {
				t.Errorf("errors %q have %q", msg, tc.absent[i])
			}
			for _, w := range tc.wantNot {
				if strings.Contains(msg, "input "+w+":") {
					t.Errorf("errors %q name %s", msg, w)
				}
			}
		})
	}
}
