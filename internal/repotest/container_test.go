package repotest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"time"

	"github.com/twittix/infra/internal/actiontest"
)

var (
	imageOnce sync.Once
	imageTag  string
	imageErr  error
)

// contractImage builds the image once per test binary.
func contractImage(t *testing.T) string {
	t.Helper()
	requireDocker(t)
	imageOnce.Do(func() { imageTag, imageErr = BuildImage(t.TempDir(), "contract-test") })
	if imageErr != nil {
		t.Fatal(imageErr)
	}
	return imageTag
}

func requireDocker(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		t.Fatalf("this test needs a running Docker daemon, and `docker info` failed: %v\n%s\nStart it with `dockerd >/var/log/dockerd.log 2>&1 &` (then `docker swarm init --advertise-addr 127.0.0.1`), or run .ci/run, which does both", err, out)
	}
}

func TestDockerfileFollowsContainerActionRules(t *testing.T) {
	t.Parallel()
	df, err := os.ReadFile(filepath.Join(Root(), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	stage, _, err := FinalStage(string(df))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(df), "\n") {
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(l)), "WORKDIR") {
			t.Errorf("Dockerfile has %q: GitHub container actions must not set WORKDIR", l)
		}
	}
	if !regexp.MustCompile(`(?m)^ENTRYPOINT \["/[^"]+"\]$`).MatchString(stage) {
		t.Errorf("the final stage needs an absolute exec-form ENTRYPOINT:\n%s", stage)
	}
	if m := regexp.MustCompile(`(?m)^USER (\S+)$`).FindStringSubmatch(stage); m != nil && m[1] != "0:0" && m[1] != "root" && m[1] != "0" {
		t.Errorf("the final stage runs as %s; GitHub container actions must run as root", m[1])
	}
	if !strings.Contains(string(df), "CGO_ENABLED=0") || !strings.Contains(string(df), "-trimpath") {
		t.Errorf("the binary must be static and reproducible: CGO_ENABLED=0 and -trimpath")
	}
}

// runnerRun runs the image like the GitHub runner runs a container action: INPUT_* variables,
// the workspace mounted at /github/workspace (also the working directory), file commands under
// /github/file_commands, GITHUB_ACTIONS=true.
type runnerRun struct {
	workspace, fileCommands string
	output, summary         string // host paths
}

func newRunnerRun(t *testing.T) *runnerRun {
	t.Helper()
	dir := t.TempDir()
	r := &runnerRun{workspace: filepath.Join(dir, "workspace"), fileCommands: filepath.Join(dir, "file_commands")}
	for _, d := range []string{r.workspace, r.fileCommands} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r.output = filepath.Join(r.fileCommands, "set_output_3c5b1a2e")
	r.summary = filepath.Join(r.fileCommands, "step_summary_3c5b1a2e")
	for _, f := range []string{r.output, r.summary} {
		if err := os.WriteFile(f, nil, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func (r *runnerRun) run(t *testing.T, image string, inputs map[string]string, args ...string) (string, int) {
	t.Helper()
	cmdArgs := []string{"run", "--rm", "--workdir", "/github/workspace",
		"-v", "/var/run/docker.sock:/var/run/docker.sock", // the runner mounts it into container actions
		"-e", "GITHUB_ACTIONS=true", "-e", "CI=true", "-e", "HOME=/github/home",
		"-e", "GITHUB_WORKSPACE=/github/workspace",
		"-e", "GITHUB_OUTPUT=/github/file_commands/" + filepath.Base(r.output),
		"-e", "GITHUB_STEP_SUMMARY=/github/file_commands/" + filepath.Base(r.summary),
		"-v", r.workspace + ":/github/workspace", "-v", r.fileCommands + ":/github/file_commands"}
	// The runner passes every input of the action, with its default when the step does not set
	// it: a sub-action's defaults for a command, the root action's (none) otherwise.
	env := actiontest.NewEnv(t, nil)
	metadata := filepath.Join(Root(), "action.yml")
	if len(args) > 0 {
		if sub := filepath.Join(Root(), "actions", args[0], "action.yml"); fileExists(sub) {
			metadata = sub
			delete(inputs, "command")
		}
	}
	env.SetStepInputs(t, metadata, inputs)
	for name := range allInputNames(t, metadata) {
		// The runner's name for an input's variable: INPUT_ + upper case, spaces to underscores.
		v := "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
		cmdArgs = append(cmdArgs, "-e", v+"="+env.Getenv(v))
	}
	cmdArgs = append(cmdArgs, image)
	cmdArgs = append(cmdArgs, args...)
	var out bytes.Buffer
	cmd := exec.Command("docker", cmdArgs...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if exitErr, ok := err.(*exec.ExitError); ok {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("docker run: %v\n%s", err, out.String())
	}
	return out.String(), code
}

func (r *runnerRun) outputs(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(r.output)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, delim, ok := strings.Cut(sc.Text(), "<<")
		if !ok {
			t.Fatalf("GITHUB_OUTPUT line %q is not a heredoc", sc.Text())
		}
		var value []string
		for sc.Scan() && sc.Text() != delim {
			value = append(value, sc.Text())
		}
		out[name] = strings.Join(value, "\n")
	}
	return out
}

func TestContainerContract(t *testing.T) {
	t.Parallel()
	image := contractImage(t)

	t.Run("root action passes the command as its argument", func(t *testing.T) {
		t.Parallel()
		r := newRunnerRun(t)
		log, code := r.run(t, image, map[string]string{"command": "version"}, "version")
		if code != 0 {
			t.Fatalf("exit code %d, want 0; log:\n%s", code, log)
		}
		if got := r.outputs(t); got["version"] != "contract-test" {
			t.Errorf("outputs = %q, want version=contract-test; log:\n%s", got, log)
		}
	})

	t.Run("command from INPUT_COMMAND alone", func(t *testing.T) {
		t.Parallel()
		r := newRunnerRun(t)
		log, code := r.run(t, image, map[string]string{"command": "version"})
		if code != 0 || !strings.Contains(log, "twittix-infra contract-test") {
			t.Fatalf("exit code %d, log:\n%s", code, log)
		}
	})

	t.Run("deploy-swarm inputs arrive and outputs come back", func(t *testing.T) {
		t.Parallel()
		r := newRunnerRun(t)
		compose := "version: \"3.9\"\nservices:\n  web:\n    image: twittix/contract:${TAG}\n    deploy:\n      endpoint_mode: dnsrr\n"
		if err := os.MkdirAll(filepath.Join(r.workspace, "deploy"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r.workspace, "deploy", "stack.yml"), []byte(compose), 0o644); err != nil {
			t.Fatal(err)
		}
		stack := fmt.Sprintf("contract%d", time.Now().UnixNano()%1e6)
		log, code := r.run(t, image, map[string]string{
			"stack_name":    stack,
			"compose_files": "deploy/stack.yml",
			"env":           "TAG=1.0",
			"docker_host":   "unix:///var/run/docker.sock",
			"dry_run":       "true",
			"resolve_image": "never",
		}, "deploy-swarm")
		if code != 0 {
			t.Fatalf("exit code %d, want 0; log:\n%s", code, log)
		}
		out := r.outputs(t)
		if want := `[{"name":"` + stack + `_web","image":"twittix/contract:1.0","replicas":"0/1","state":"would create"}]`; out["services"] != want {
			t.Errorf("services output = %q, want %q; log:\n%s", out["services"], want, log)
		}
		if want := `["` + stack + `_web"]`; out["changed"] != want {
			t.Errorf("changed output = %q, want %q", out["changed"], want)
		}
		if summary, _ := os.ReadFile(r.summary); !strings.Contains(string(summary), "would create") {
			t.Errorf("step summary = %q, want the dry run's table", summary)
		}
	})

	t.Run("cloud-build lists the files it would upload", func(t *testing.T) {
		t.Parallel()
		r := newRunnerRun(t)
		for name, content := range map[string]string{
			"app/Dockerfile": "FROM scratch\n", "app/main.go": "package main\n", ".gcloudignore": "*.log\n",
			"app/debug.log": "noise\n", "gha-creds-1234.json": "{}",
		} {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(r.workspace, name)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(r.workspace, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		log, code := r.run(t, image, map[string]string{"source": ".", "list_files": "true"}, "cloud-build")
		if code != 0 {
			t.Fatalf("exit code %d, want 0; log:\n%s", code, log)
		}
		for _, want := range []string{"app/Dockerfile\n", "app/main.go\n"} {
			if !strings.Contains(log, want) {
				t.Errorf("log does not list %q:\n%s", want, log)
			}
		}
		listed := map[string]bool{}
		for _, line := range strings.Split(log, "\n") {
			listed[strings.TrimSpace(line)] = true
		}
		for _, unwanted := range []string{"debug.log", "gha-creds-1234.json"} {
			if listed[unwanted] {
				t.Errorf("log lists %s, which must not be uploaded:\n%s", unwanted, log)
			}
		}
		if !strings.Contains(log, "not uploaded: gha-creds-1234.json") {
			t.Errorf("log does not say the credentials file is left out:\n%s", log)
		}
	})

	t.Run("a bad input exits non-zero naming the input", func(t *testing.T) {
		t.Parallel()
		r := newRunnerRun(t)
		log, code := r.run(t, image, map[string]string{"stack_name": "x", "docker_host": "unix:///var/run/docker.sock", "port": "ssh"}, "deploy-swarm")
		if code == 0 || !strings.Contains(log, `::error::input port: "ssh" is not a whole number`) {
			t.Errorf("exit code %d, want non-zero with an ::error:: line naming port; log:\n%s", code, log)
		}
	})

	t.Run("bad command exits non-zero with an error annotation", func(t *testing.T) {
		t.Parallel()
		r := newRunnerRun(t)
		log, code := r.run(t, image, map[string]string{"command": "deplyo-swarm"}, "deplyo-swarm")
		if code == 0 || !strings.Contains(log, `::error::unknown command "deplyo-swarm"`) {
			t.Errorf("exit code %d, want non-zero with an ::error:: line; log:\n%s", code, log)
		}
	})
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func allInputNames(t *testing.T, actionYML string) map[string]bool {
	t.Helper()
	meta, err := ReadActionMetadata(actionYML)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for name := range meta.Inputs {
		names[name] = true
	}
	return names
}
