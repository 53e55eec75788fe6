package deployswarm

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/twittix/infra/internal/actiontest"
	"github.com/twittix/infra/internal/testenv/dockertest"
	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/pkg/action"
)

// composeV is a stack of one healthy service whose image variant is ${TAG}, with a secret and a
// config, for the swarm of the tests (dnsrr: the kernel here has no IPVS).
const composeV = `version: "3.9"
services:
  app:
    image: twittix-test/app:${TAG}
    healthcheck:
      test: ["CMD", "/app", "-check"]
      interval: 500ms
      timeout: 5s # a loaded machine can take over 1s to exec the probe; a timeout hides its output
      retries: 2
    secrets: [token]
    configs:
      - source: motd
        target: /motd
    deploy:
      endpoint_mode: dnsrr
      replicas: 1
      update_config:
        order: start-first
        monitor: 1s
        failure_action: pause
secrets:
  token:
    file: ./token.txt
configs:
  motd:
    file: ./motd.txt
`

// result is one run of the action in a GitHub Actions environment built by the test.
type result struct {
	code    int
	log     string
	outputs map[string]string
	summary string
}

// harness holds what the end-to-end tests share: a real sshd in front of the local dockerd, a key
// that may log in, and a local Engine API client to check the swarm's real state.
type harness struct {
	t          *testing.T
	docker     *client.Client
	server     *sshd.Server
	key        sshd.Key
	passphrase string
	keyText    string // the key as a user pastes it: OpenSSH, encrypted with passphrase
}

func newHarness(t *testing.T, opts sshd.Options) *harness {
	t.Helper()
	docker := dockertest.RequireSwarm(t)
	dockertest.RequireImages(t, docker, "v1", "v2")
	key := sshd.NewKey(t, sshd.Ed25519)
	opts.AuthorizedKeys = append(opts.AuthorizedKeys, key.Public)
	server := sshd.Start(t, opts)
	passphrase := "correct horse battery staple"
	return &harness{t: t, docker: docker, server: server, key: key, passphrase: passphrase,
		keyText: key.OpenSSHWithPassphrase(t, passphrase)}
}

// sshInputs are the inputs that reach the harness's sshd with a pinned host key.
func (h *harness) sshInputs() map[string]string {
	return map[string]string{
		"host":           h.server.Host,
		"port":           itoa(h.server.Port),
		"user":           "root",
		"ssh_key":        h.keyText,
		"ssh_passphrase": h.passphrase,
		"known_hosts":    h.server.KnownHostsLine(),
	}
}

// workspace writes a compose file (and its secret and config files) into a new workspace.
func workspace(t *testing.T, files map[string]string) string {
	t.Helper()
	ws := t.TempDir()
	base := map[string]string{"token.txt": "s3cr3t-token\n", "motd.txt": "hello\n"}
	for name, content := range files {
		base[name] = content
	}
	for name, content := range base {
		p := filepath.Join(ws, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return ws
}

// runAction runs `twittix-infra deploy-swarm` with inputs as the runner passes them, and checks
// that no secret of h appears in anything the run printed or wrote.
func (h *harness) runAction(ctx context.Context, ws string, inputs map[string]string) result {
	h.t.Helper()
	return h.run(ctx, ws, inputs, runOptions{})
}

// runOptions vary the environment of a run.
type runOptions struct {
	// vars are more variables of the runner's environment.
	vars map[string]string
	// local runs outside GitHub Actions (no GITHUB_ACTIONS, no output or summary files).
	local bool
}

// run is runAction with more variables, or outside GitHub Actions.
func (h *harness) run(ctx context.Context, ws string, inputs map[string]string, o runOptions) result {
	t := h.t
	t.Helper()
	vars := map[string]string{
		"GITHUB_WORKSPACE":   ws,
		"GITHUB_REPOSITORY":  "twittix/web",
		"GITHUB_RUN_ID":      "4242",
		"GITHUB_RUN_ATTEMPT": "1",
	}
	maps.Copy(vars, o.vars)
	var env *actiontest.Env
	if o.local {
		env = actiontest.NewBareEnv(map[string]string{"GITHUB_WORKSPACE": ws})
		maps.Copy(vars, map[string]string{"GITHUB_REPOSITORY": "", "GITHUB_RUN_ID": "", "GITHUB_RUN_ATTEMPT": ""})
		for k, v := range vars {
			env.Set(k, v)
		}
	} else {
		env = actiontest.NewEnv(t, vars)
	}
	env.SetStepInputs(t, "action.yml", inputs) // the runner passes every input, defaults included
	var log actiontest.SyncBuffer
	code := action.Main(ctx, []string{"deploy-swarm"}, []action.Command{Command},
		action.WithGetenv(env.Getenv), action.WithWriter(&log))
	r := result{code: code, log: log.String()}
	if !o.local {
		r.outputs, r.summary = env.Outputs(t), env.Summary(t)
	}
	h.assertNoSecrets(r)
	return r
}

// assertNoSecrets greps everything the run produced for the private key and the passphrase.
func (h *harness) assertNoSecrets(r result) {
	t := h.t
	t.Helper()
	all := actiontest.Visible(r.log) + r.summary
	for name, value := range r.outputs {
		all += name + "=" + value + "\n"
	}
	secrets := []string{h.passphrase, h.key.OpenSSH(t)}
	for _, text := range []string{h.keyText, h.key.OpenSSH(t)} {
		for _, line := range strings.Split(text, "\n") {
			if len(strings.TrimSpace(line)) > 8 && !strings.HasPrefix(line, "-----") {
				secrets = append(secrets, strings.TrimSpace(line))
			}
		}
	}
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Fatalf("a secret (%d chars) appears in the action's log, outputs or summary", len(s))
		}
	}
}

// serviceOutput is one entry of the services output.
type serviceOutput struct {
	Name, Image, Replicas, State string
}

func parseServices(t *testing.T, r result) []serviceOutput {
	t.Helper()
	var out []serviceOutput
	if err := json.Unmarshal([]byte(r.outputs["services"]), &out); err != nil {
		t.Fatalf("services output %q: %v\nlog:\n%s", r.outputs["services"], err, r.log)
	}
	return out
}

// serviceImage returns the image of a service of the swarm, read through the Engine API.
func (h *harness) serviceImage(ctx context.Context, name string) string {
	h.t.Helper()
	res, err := h.docker.ServiceInspect(ctx, name, client.ServiceInspectOptions{})
	if err != nil {
		h.t.Fatalf("inspect service %s: %v", name, err)
	}
	return res.Service.Spec.TaskTemplate.ContainerSpec.Image
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func itoa(n int) string { return strconv.Itoa(n) }

// knownHosts is the known_hosts line that pins key for addr (host:port).
func knownHosts(addr string, key ssh.PublicKey) string {
	return knownhosts.Line([]string{knownhosts.Normalize(addr)}, key)
}
