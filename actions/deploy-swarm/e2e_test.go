package deployswarm

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/client"
	"golang.org/x/crypto/ssh"

	"github.com/twittix/infra/internal/testenv/dockertest"
	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/internal/testenv/tcpproxy"
	"github.com/twittix/infra/pkg/action"
)

// TestDeployOverSSH deploys a stack through a real sshd with a passphrase-protected key, then
// updates its image, and checks the swarm's real state, the outputs and the summary.
func TestDeployOverSSH(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sshd.Options{})
	ctx := testContext(t)
	stack := dockertest.NewStack(t, h.docker, "ssh")
	ws := workspace(t, map[string]string{"docker-compose.yml": composeV})
	inputs := h.sshInputs()
	inputs["stack_name"] = stack
	inputs["resolve_image"] = "never"
	inputs["timeout"] = "2m"

	inputs["env"] = "TAG=v1"
	first := h.runAction(ctx, ws, inputs)
	if first.code != 0 {
		t.Fatalf("first deploy exit code %d:\n%s", first.code, first.log)
	}
	want := []serviceOutput{{Name: stack + "_app", Image: "twittix-test/app:v1", Replicas: "1/1", State: "created"}}
	if diff := cmp.Diff(want, parseServices(t, first)); diff != "" {
		t.Errorf("services output (-want +got):\n%s", diff)
	}
	if got := h.serviceImage(ctx, stack+"_app"); got != "twittix-test/app:v1" {
		t.Errorf("service image in the swarm = %q, want twittix-test/app:v1", got)
	}
	if !strings.Contains(first.log, "SSH: 1 connection(s), 0 reconnect(s)") {
		t.Errorf("the log does not show exactly one SSH connection:\n%s", first.log)
	}

	inputs["env"] = "TAG=v2"
	second := h.runAction(ctx, ws, inputs)
	if second.code != 0 {
		t.Fatalf("update exit code %d:\n%s", second.code, second.log)
	}
	want = []serviceOutput{{Name: stack + "_app", Image: "twittix-test/app:v2", Replicas: "1/1", State: "updated"}}
	if diff := cmp.Diff(want, parseServices(t, second)); diff != "" {
		t.Errorf("services output after the update (-want +got):\n%s", diff)
	}
	if got, want := second.outputs["changed"], `["`+stack+`_app"]`; got != want {
		t.Errorf("changed = %q, want %q", got, want)
	}
	if got := h.serviceImage(ctx, stack+"_app"); got != "twittix-test/app:v2" {
		t.Errorf("service image in the swarm = %q, want twittix-test/app:v2", got)
	}
	for _, want := range []string{"twittix-test/app:v1", "twittix-test/app:v2", "updated"} {
		if !strings.Contains(second.summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, second.summary)
		}
	}
}

// TestFailedDeployIsRolledBack deploys a release whose healthcheck fails: the job fails, the
// service is back on its previous image, and the outputs and summary say so.
func TestFailedDeployIsRolledBack(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sshd.Options{})
	ctx := testContext(t)
	stack := dockertest.NewStack(t, h.docker, "rb")
	unhealthy := strings.Replace(composeV, "    secrets: [token]\n", "    environment:\n      UNHEALTHY: ${UNHEALTHY:-0}\n    secrets: [token]\n", 1)
	ws := workspace(t, map[string]string{"docker-compose.yml": unhealthy})
	inputs := h.sshInputs()
	inputs["stack_name"] = stack
	inputs["resolve_image"] = "never"
	inputs["timeout"] = "90s"
	inputs["env"] = "TAG=v1"
	if r := h.runAction(ctx, ws, inputs); r.code != 0 {
		t.Fatalf("first deploy exit code %d:\n%s", r.code, r.log)
	}

	inputs["env"] = "TAG=v2\nUNHEALTHY=1"
	r := h.runAction(ctx, ws, inputs)
	if r.code != action.ExitFailure {
		t.Fatalf("broken release exit code %d, want %d:\n%s", r.code, action.ExitFailure, r.log)
	}
	if got := h.serviceImage(ctx, stack+"_app"); got != "twittix-test/app:v1" {
		t.Errorf("service image after the rollback = %q, want twittix-test/app:v1", got)
	}
	if r.outputs["rolled_back"] != "true" {
		t.Errorf("rolled_back = %q, want true", r.outputs["rolled_back"])
	}
	if !strings.Contains(r.log, "::error::deploy of stack "+stack+" failed: "+stack+"_app") {
		t.Errorf("the log has no error annotation naming the failing service:\n%s", r.log)
	}
	if !strings.Contains(r.summary, "rolled back") || !strings.Contains(r.summary, stack+"_app") {
		t.Errorf("summary does not show the rollback of the service:\n%s", r.summary)
	}
}

// TestHostKeyIsVerified checks unknown and changed host keys are refused with the fingerprint to
// pin, before any key is offered (the insecure escape hatch: TestInsecureIgnoreHostKey).
func TestHostKeyIsVerified(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sshd.Options{})
	other := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{h.key.Public}})
	ws := workspace(t, map[string]string{"docker-compose.yml": composeV})
	fingerprint := h.server.Fingerprint()

	cases := []struct {
		name     string
		set      map[string]string
		wantCode int
		wantLog  []string
	}{
		{"nothing pinned", map[string]string{"known_hosts": ""}, action.ExitFailure,
			[]string{"which is unknown", "host_fingerprint: " + fingerprint}},
		{"unknown host", map[string]string{"known_hosts": knownHosts(other.Addr(), other.HostKey)}, action.ExitFailure,
			[]string{fingerprint, "host_fingerprint: " + fingerprint}},
		{"pinned to another key", map[string]string{"known_hosts": "", "host_fingerprint": other.Fingerprint()}, action.ExitFailure,
			[]string{fingerprint, "host_fingerprint: " + fingerprint}},
		{"changed key", map[string]string{"known_hosts": knownHosts(h.server.Addr(), other.HostKey)}, action.ExitFailure,
			[]string{fingerprint, "man-in-the-middle"}},
		{"pinned fingerprint", map[string]string{"known_hosts": "", "host_fingerprint": fingerprint, "dry_run": "true"}, action.ExitOK,
			[]string{"dry run"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hh := *h
			hh.t = t
			inputs := hh.sshInputs()
			inputs["stack_name"] = dockertest.StackName("hk")
			inputs["env"] = "TAG=v1"
			inputs["resolve_image"] = "never"
			for k, v := range tc.set {
				inputs[k] = v
			}
			r := hh.runAction(testContext(t), ws, inputs)
			if r.code != tc.wantCode {
				t.Fatalf("exit code %d, want %d:\n%s", r.code, tc.wantCode, r.log)
			}
			for _, want := range tc.wantLog {
				if !strings.Contains(strings.ToLower(r.log), strings.ToLower(want)) {
					t.Errorf("log lacks %q:\n%s", want, r.log)
				}
			}
		})
	}
}

// TestWrongKeyFailsFast checks an authentication failure is not retried: one TCP connection.
func TestWrongKeyFailsFast(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sshd.Options{})
	proxy := tcpproxy.Start(t, h.server.Addr())
	ws := workspace(t, map[string]string{"docker-compose.yml": composeV})
	inputs := h.sshInputs()
	inputs["host"], inputs["port"] = proxy.Host(), itoa(proxy.Port())
	inputs["known_hosts"] = knownHosts(proxy.Addr(), h.server.HostKey)
	inputs["ssh_key"] = sshd.NewKey(t, sshd.Ed25519).OpenSSH(t)
	inputs["ssh_passphrase"] = ""
	inputs["connect_retries"] = "5"
	inputs["stack_name"] = "never-deployed"

	start := time.Now()
	r := h.runAction(testContext(t), ws, inputs)
	if r.code != action.ExitFailure {
		t.Fatalf("exit code %d, want %d:\n%s", r.code, action.ExitFailure, r.log)
	}
	if got := proxy.Accepted(); got != 1 {
		t.Errorf("%d TCP connections, want 1: an authentication failure must not be retried", got)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the wrong key took %s to fail", took)
	}
	if !strings.Contains(r.log, "::error::") || !strings.Contains(r.log, "authenticat") {
		t.Errorf("no error annotation about authentication:\n%s", r.log)
	}
}

// TestJumpHost deploys through a bastion: a second sshd that forwards TCP to the first.
func TestJumpHost(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sshd.Options{})
	jumpKey := sshd.NewKey(t, sshd.ECDSA)
	jump := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{jumpKey.Public}})
	ctx := testContext(t)
	stack := dockertest.NewStack(t, h.docker, "jump")
	ws := workspace(t, map[string]string{"docker-compose.yml": composeV})
	inputs := h.sshInputs()
	inputs["stack_name"] = stack
	inputs["env"] = "TAG=v1"
	inputs["resolve_image"] = "never"
	inputs["jump_host"], inputs["jump_port"] = jump.Host, itoa(jump.Port)
	inputs["jump_user"] = "root"
	inputs["jump_ssh_key"] = jumpKey.PEM(t)
	inputs["jump_known_hosts"] = jump.KnownHostsLine()

	r := h.runAction(ctx, ws, inputs)
	if r.code != 0 {
		t.Fatalf("exit code %d:\n%s", r.code, r.log)
	}
	if got := h.serviceImage(ctx, stack+"_app"); got != "twittix-test/app:v1" {
		t.Errorf("service image = %q, want twittix-test/app:v1", got)
	}
	if !strings.Contains(jump.Logs(), "Accepted publickey for root") {
		t.Errorf("the jump host did not log the login:\n%s", jump.Logs())
	}
}

// TestConnectionCutDuringWait cuts the SSH connection while the action waits for the services:
// it reconnects and finishes, with the swarm in the deployed state.
func TestConnectionCutDuringWait(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sshd.Options{})
	proxy := tcpproxy.Start(t, h.server.Addr())
	ctx := testContext(t)
	stack := dockertest.NewStack(t, h.docker, "cut")
	// A slow start keeps the action waiting long enough to cut the connection.
	slow := strings.Replace(composeV, "interval: 500ms", "interval: 3s", 1)
	ws := workspace(t, map[string]string{"docker-compose.yml": slow})
	inputs := h.sshInputs()
	inputs["host"], inputs["port"] = proxy.Host(), itoa(proxy.Port())
	inputs["known_hosts"] = knownHosts(proxy.Addr(), h.server.HostKey)
	inputs["stack_name"] = stack
	inputs["env"] = "TAG=v1"
	inputs["resolve_image"] = "never"

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Cut once the wait has started: the service exists and the connection is busy polling.
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if _, err := h.docker.ServiceInspect(ctx, stack+"_app", client.ServiceInspectOptions{}); err == nil {
				time.Sleep(500 * time.Millisecond)
				proxy.Cut()
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	r := h.runAction(ctx, ws, inputs)
	wg.Wait()
	if r.code != 0 {
		t.Fatalf("exit code %d:\n%s", r.code, r.log)
	}
	if !strings.Contains(r.log, "1 reconnect(s)") {
		t.Errorf("the log does not show the reconnect:\n%s", r.log)
	}
	if services := parseServices(t, r); len(services) != 1 || services[0].Replicas != "1/1" {
		t.Errorf("services = %+v, want one service at 1/1", services)
	}
}

// TestBadInputsAreReportedAtOnce checks every input problem is reported in one run, each naming
// its input, before anything connects.
func TestBadInputsAreReportedAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sshd.Options{})
	ws := workspace(t, nil)
	r := h.runAction(testContext(t), ws, map[string]string{
		"host":               h.server.Host,
		"port":               "0",
		"ssh_key":            h.key.Public.Type() + " AAAA",
		"ssh_passphrase":     h.passphrase,
		"host_fingerprint":   "MD5:aa:bb",
		"compose_files":      "missing.yml",
		"resolve_image":      "sometimes",
		"with_registry_auth": "true",
		"registry":           "ghcr.io",
		"timeout":            "ten minutes",
	})
	if r.code != action.ExitUsage {
		t.Fatalf("exit code %d, want %d:\n%s", r.code, action.ExitUsage, r.log)
	}
	for _, input := range []string{"stack_name", "port", "user", "compose_files", "resolve_image",
		"registry_username", "registry_password", "timeout", "ssh_key", "host_fingerprint"} {
		if !strings.Contains(r.log, "::error::input "+input+":") && !strings.Contains(r.log, "::error::input "+input+" ") {
			t.Errorf("no error names input %s:\n%s", input, r.log)
		}
	}
}
