package deployswarm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/twittix/infra/internal/actiontest"
	"github.com/twittix/infra/internal/testenv/dockertest"
	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/pkg/action"
)

// stackObjects lists the services, secrets and configs of the swarm whose names start with the
// stack's prefix.
func (h *harness) stackObjects(ctx context.Context, stack string) []string {
	h.t.Helper()
	var out []string
	services, err := h.docker.ServiceList(ctx, client.ServiceListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, s := range services.Items {
		if strings.HasPrefix(s.Spec.Name, stack+"_") {
			out = append(out, "service "+s.Spec.Name)
		}
	}
	secrets, err := h.docker.SecretList(ctx, client.SecretListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, s := range secrets.Items {
		if strings.HasPrefix(s.Spec.Name, stack+"_") {
			out = append(out, "secret "+s.Spec.Name)
		}
	}
	configs, err := h.docker.ConfigList(ctx, client.ConfigListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, c := range configs.Items {
		if strings.HasPrefix(c.Spec.Name, stack+"_") {
			out = append(out, "config "+c.Spec.Name)
		}
	}
	return out
}

// TestComposeReferencesStayInTheWorkspace checks that a compose file cannot make the action read
// its own environment (/proc/self/environ, where the runner puts INPUT_SSH_KEY), a file behind a
// symbolic link out of the workspace, or a device, into a secret, a config or an env_file; that
// every problem is reported at once with its compose file and key; and that nothing reaches the
// swarm, in a dry run and in a real run.
func TestComposeReferencesStayInTheWorkspace(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sshd.Options{})
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "id_ed25519"), []byte("not for the swarm"), 0o600); err != nil {
		t.Fatal(err)
	}
	ws := workspace(t, map[string]string{"docker-compose.yml": `version: "3.9"
services:
  app:
    image: twittix-test/app:v1
    env_file: /dev/zero
    secrets: [token, key]
    configs: [motd]
    deploy:
      endpoint_mode: dnsrr
secrets:
  token:
    file: /proc/self/environ
  key:
    file: ./keys/id_ed25519
configs:
  motd:
    file: ./motd.txt
`})
	if err := os.Symlink(outside, filepath.Join(ws, "keys")); err != nil {
		t.Fatal(err)
	}
	for _, dryRun := range []string{"true", "false"} {
		t.Run("dry_run="+dryRun, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			hh := *h
			hh.t = t
			stack := dockertest.StackName("confine")
			inputs := hh.sshInputs()
			inputs["stack_name"] = stack
			inputs["resolve_image"] = "never"
			inputs["dry_run"] = dryRun
			r := hh.runAction(ctx, ws, inputs)
			if r.code == action.ExitOK {
				t.Fatalf("exit code 0, want the compose file refused:\n%s", r.log)
			}
			compose := filepath.Join(ws, "docker-compose.yml")
			for _, want := range []string{
				compose + ":5: services.app.env_file: \"/dev/zero\" is outside the workspace",
				compose + ":12: secrets.token.file: \"/proc/self/environ\" is outside the workspace " + ws,
				compose + ":14: secrets.key.file: \"" + filepath.Join(ws, "keys", "id_ed25519") + "\" leads to " + filepath.Join(outside, "id_ed25519") + " through a symbolic link",
				"put the file in the repository checkout",
			} {
				if !strings.Contains(r.log, want) {
					t.Errorf("log lacks %q:\n%s", want, r.log)
				}
			}
			if strings.Contains(r.log, "not for the swarm") {
				t.Errorf("the log shows the file behind the link:\n%s", r.log)
			}
			if got := hh.stackObjects(ctx, stack); len(got) > 0 {
				t.Errorf("the swarm has %v, want nothing of the refused stack", got)
			}
		})
	}
}

// TestInsecureIgnoreHostKey checks insecure_ignore_host_key is refused in GitHub Actions before
// anything connects, and allowed for a local run with a warning that names the host.
func TestInsecureIgnoreHostKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sshd.Options{})
	ws := workspace(t, map[string]string{"docker-compose.yml": composeV})
	inputs := h.sshInputs()
	inputs["known_hosts"] = ""
	inputs["insecure_ignore_host_key"] = "true"
	inputs["stack_name"] = dockertest.StackName("insecure")
	inputs["env"] = "TAG=v1"
	inputs["resolve_image"] = "never"
	inputs["dry_run"] = "true"

	t.Run("GitHub Actions", func(t *testing.T) {
		hh := *h
		hh.t = t
		r := hh.runAction(testContext(t), ws, inputs)
		if r.code == action.ExitOK {
			t.Fatalf("exit code 0, want insecure_ignore_host_key refused:\n%s", r.log)
		}
		want := "::error::input insecure_ignore_host_key: is refused in GitHub Actions (GITHUB_ACTIONS=true): pin the manager's host key with known_hosts"
		if !strings.Contains(r.log, want) {
			t.Errorf("log lacks %q:\n%s", want, r.log)
		}
		if strings.Contains(r.log, "SSH:") || strings.Contains(r.log, "dry run") {
			t.Errorf("the action connected although the input was refused:\n%s", r.log)
		}
	})
	t.Run("local", func(t *testing.T) {
		hh := *h
		hh.t = t
		r := hh.run(testContext(t), ws, inputs, runOptions{local: true})
		if r.code != action.ExitOK {
			t.Fatalf("exit code %d, want the local dry run to go through:\n%s", r.code, r.log)
		}
		want := "warning: insecure_ignore_host_key is true: the host keys of " + h.server.Host + " are NOT verified, so anyone on the network path can impersonate them"
		if !strings.Contains(r.log, want) || !strings.Contains(r.log, "dry run") {
			t.Errorf("log lacks %q and the dry run:\n%s", want, r.log)
		}
	})
}

// TestEnvSecretsNeverShow deploys a stack, then dry-runs a release that puts a secret of
// env_secrets into a healthcheck, a command, an entrypoint, labels and a config template: the log
// and the summary show the changes but never the value, which was masked on its own.
func TestEnvSecretsNeverShow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sshd.Options{})
	ctx := testContext(t)
	stack := dockertest.NewStack(t, h.docker, "envsec")
	ws := workspace(t, map[string]string{"docker-compose.yml": composeV})
	inputs := h.sshInputs()
	inputs["stack_name"] = stack
	inputs["resolve_image"] = "never"
	inputs["env"] = "TAG=v1"
	if r := h.runAction(ctx, ws, inputs); r.code != action.ExitOK {
		t.Fatalf("first deploy: exit code %d:\n%s", r.code, r.log)
	}

	const token = "s3cr3t-7c1d9e2f"
	if err := os.WriteFile(filepath.Join(ws, "motd.tmpl"), []byte(`motd {{ env "API_TOKEN" }}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	release := strings.Replace(composeV, `      test: ["CMD", "/app", "-check"]`,
		`      test: ["CMD", "/app", "-check", "-token=${API_TOKEN}"]`, 1)
	release = strings.Replace(release, "    secrets: [token]\n", `    secrets: [token]
    entrypoint: ["/app", "--auth=${API_TOKEN}"]
    command: ["serve", "${API_TOKEN}"]
    labels:
      auth: Bearer ${API_TOKEN}
    environment:
      API_TOKEN: ${API_TOKEN}
`, 1)
	release = strings.Replace(release, "      replicas: 1\n", "      replicas: 1\n      labels:\n        token: ${API_TOKEN}\n", 1)
	release = strings.Replace(release, "    file: ./motd.txt\n", "    file: ./motd.tmpl\n    template_driver: golang\n", 1)
	if err := os.WriteFile(filepath.Join(ws, "docker-compose.yml"), []byte(release), 0o644); err != nil {
		t.Fatal(err)
	}
	inputs["env_secrets"] = "API_TOKEN=" + token
	inputs["dry_run"] = "true"
	r := h.runAction(testContext(t), ws, inputs)
	if r.code != action.ExitOK {
		t.Fatalf("dry run: exit code %d:\n%s", r.code, r.log)
	}
	if !strings.Contains(r.log, "::add-mask::"+token+"\n") {
		t.Errorf("the value alone was not masked before being used:\n%s", r.log)
	}
	shown := actiontest.Visible(r.log) + r.summary
	for _, part := range []string{token, "7c1d9e2f"} {
		if strings.Contains(shown, part) {
			t.Errorf("the log or summary shows the secret value:\nlog:\n%s\nsummary:\n%s", r.log, r.summary)
		}
	}
	for _, field := range []string{"healthcheck", "command", "labels", "container_labels"} {
		if !strings.Contains(r.log, field+": changed (values hidden") {
			t.Errorf("log does not show the %s change as hidden:\n%s", field, r.log)
		}
	}
	if !strings.Contains(r.log, "env: API_TOKEN added (values hidden)") {
		t.Errorf("log does not list the env change:\n%s", r.log)
	}

	t.Run("a key in env and env_secrets", func(t *testing.T) {
		hh := *h
		hh.t = t
		in := map[string]string{}
		for k, v := range inputs {
			in[k] = v
		}
		in["env"] = "TAG=v1\nAPI_TOKEN=plain"
		r := hh.runAction(testContext(t), ws, in)
		want := "::error::input env_secrets: sets API_TOKEN, which env sets too"
		if r.code != action.ExitUsage || !strings.Contains(r.log, want) {
			t.Errorf("exit code %d, want %d and %q:\n%s", r.code, action.ExitUsage, want, r.log)
		}
	})
}

// TestEnvFromRunnerAllowList checks env_from_runner passes GitHub's default variables and the
// declared names to interpolation, and never the runner's tokens.
func TestEnvFromRunnerAllowList(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sshd.Options{})
	vars := map[string]string{
		"GITHUB_SHA":                     "v1", // the image variant, to see it in the services output
		"APP_VARIANT":                    "v2",
		"UNDECLARED":                     "v3",
		"ACTIONS_RUNTIME_TOKEN":          "runtime-token-5e6f",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-token-7a8b",
		"ACTIONS_ID_TOKEN_REQUEST_URL":   "https://oidc.example/token",
		"GITHUB_TOKEN":                   "ghs_token9c0d",
	}
	compose := func(images ...string) string {
		var b strings.Builder
		b.WriteString("version: \"3.9\"\nservices:\n")
		for i, img := range images {
			b.WriteString("  s" + itoa(i) + ":\n    image: " + img + "\n    deploy:\n      endpoint_mode: dnsrr\n")
		}
		return b.String()
	}
	run := func(t *testing.T, file, envFromRunner string) result {
		hh := *h
		hh.t = t
		ws := workspace(t, map[string]string{"docker-compose.yml": file})
		inputs := hh.sshInputs()
		inputs["stack_name"] = dockertest.StackName("runnerenv")
		inputs["resolve_image"] = "never"
		inputs["dry_run"] = "true"
		inputs["env_from_runner"] = envFromRunner
		return hh.run(testContext(t), ws, inputs, runOptions{vars: vars})
	}

	t.Run("defaults and declared names", func(t *testing.T) {
		t.Parallel()
		r := run(t, compose("twittix-test/app:${GITHUB_SHA}", "twittix-test/app:${APP_VARIANT}"), "APP_VARIANT")
		if r.code != action.ExitOK {
			t.Fatalf("exit code %d:\n%s", r.code, r.log)
		}
		var images []string
		for _, s := range parseServices(t, r) {
			images = append(images, s.Image)
		}
		if got, want := strings.Join(images, ","), "twittix-test/app:v1,twittix-test/app:v2"; got != want {
			t.Errorf("images = %s, want %s", got, want)
		}
	})
	// Every other name is checked by TestRunnerEnv; these through the whole action.
	for _, name := range []string{"ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "GITHUB_TOKEN"} {
		t.Run(name+" is not passed", func(t *testing.T) {
			t.Parallel()
			r := run(t, compose("twittix-test/app:${"+name+":?is not set}"), "true")
			want := "required variable " + name + " is missing a value: is not set"
			if r.code == action.ExitOK || !strings.Contains(r.log, want) {
				t.Errorf("exit code %d, want a failure saying %q:\n%s", r.code, want, r.log)
			}
			if strings.Contains(r.log, vars[name]) {
				t.Errorf("the log shows the value of %s:\n%s", name, r.log)
			}
		})
	}
	t.Run("a token cannot be declared", func(t *testing.T) {
		t.Parallel()
		r := run(t, compose("twittix-test/app:v1"), "APP_VARIANT, ACTIONS_RUNTIME_TOKEN, GITHUB_TOKEN")
		for _, want := range []string{"::error::input env_from_runner: ACTIONS_RUNTIME_TOKEN is never passed", "GITHUB_TOKEN is never passed"} {
			if r.code != action.ExitUsage || !strings.Contains(r.log, want) {
				t.Errorf("exit code %d, want %d and %q:\n%s", r.code, action.ExitUsage, want, r.log)
			}
		}
	})
}
