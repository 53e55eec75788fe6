package swarm

import (
	"strings"
	"testing"

	composetypes "github.com/docker/cli/cli/compose/types"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/swarm"

	"github.com/twittix/infra/pkg/swarm/stackfile"
)

// TestInputErrorTouchesNothing: a service that names an undefined secret, or an external secret
// that does not exist, is an input error, found before any network, secret or config is created.
func TestInputErrorTouchesNothing(t *testing.T) {
	e := newEnv(t, "badref")
	e.write("token.txt", "t1")
	const compose = `
version: "3.9"
services:
  web:
    image: twittix-test/app:v1
    networks: [{{NET}}]
    secrets: [token, {{OTHER}}]
    deploy:
      endpoint_mode: dnsrr
networks:
  {{NET}}: {}
secrets:
  token:
    file: ./token.txt
`
	tests := []struct{ name, other, want string }{
		{"undefined", "nope", `undefined secret "nope"`},
		{"external", "outside\n  outside:\n    external: true", `secret "outside" is declared external but does not exist`},
	}
	for _, tc := range tests {
		before := e.state()
		// The secrets key ends the file: the external secret's lines go there.
		text := strings.NewReplacer("{{OTHER}}", strings.SplitN(tc.other, "\n", 2)[0], "{{NET}}", tc.name).Replace(compose)
		if _, extra, ok := strings.Cut(tc.other, "\n"); ok {
			text += extra + "\n"
		}
		_, err := e.deploy(t.Context(), e.options(e.write(tc.name+".yml", text)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: Deploy error = %v, want %q", tc.name, err, tc.want)
		}
		if diff := cmp.Diff(before, e.state()); diff != "" {
			t.Errorf("%s: a deploy with an input error changed the swarm (-before +after):\n%s", tc.name, diff)
		}
	}
}

func TestServiceRefs(t *testing.T) {
	t.Parallel()
	mode := uint32(0o400)
	objs := map[string]*fileObject{
		"key": {Object: stackfile.Object{Kind: kindSecret, Name: "s_key-1234abcd"}, id: "id-key"},
		"ini": {Object: stackfile.Object{Kind: kindConfig, Name: "s_ini-5678abcd"}, id: "id-ini"},
	}
	svc := composetypes.ServiceConfig{
		Secrets: []composetypes.ServiceSecretConfig{{Source: "key", Target: "api.key", UID: "100", Mode: &mode}},
		Configs: []composetypes.ServiceConfigObjConfig{{Source: "ini"}},
	}
	secrets, err := secretRefs(svc, objs)
	if err != nil {
		t.Fatal(err)
	}
	wantSecret := []*swarm.SecretReference{{SecretID: "id-key", SecretName: "s_key-1234abcd",
		File: &swarm.SecretReferenceFileTarget{Name: "api.key", UID: "100", GID: "0", Mode: 0o400}}}
	if diff := cmp.Diff(wantSecret, secrets); diff != "" {
		t.Errorf("secret refs (-want +got):\n%s", diff)
	}
	configs, err := configRefs(svc, objs)
	if err != nil {
		t.Fatal(err)
	}
	wantConfig := []*swarm.ConfigReference{{ConfigID: "id-ini", ConfigName: "s_ini-5678abcd",
		File: &swarm.ConfigReferenceFileTarget{Name: "ini", UID: "0", GID: "0", Mode: 0o444}}}
	if diff := cmp.Diff(wantConfig, configs); diff != "" {
		t.Errorf("config refs (-want +got):\n%s", diff)
	}

	svc.Configs = append(svc.Configs, composetypes.ServiceConfigObjConfig{Source: "ini"})
	if _, err := configRefs(svc, objs); err == nil || err.Error() != "duplicate config target for s_ini-5678abcd not allowed" {
		t.Errorf("two references to one target: error = %v", err)
	}
	svc.Secrets = append(svc.Secrets, composetypes.ServiceSecretConfig{Source: "nope"})
	if _, err := secretRefs(svc, objs); err == nil || !strings.Contains(err.Error(), `undefined secret "nope"`) {
		t.Errorf("an undefined secret: error = %v", err)
	}
}
