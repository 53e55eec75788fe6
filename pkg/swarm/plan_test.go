package swarm

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
