// Command demo shows deploy-swarm at work on this machine: it starts a throwaway sshd on
// 127.0.0.1 in front of the local swarm, deploys examples/stack through it with the real
// twittix-infra binary (host key pinned, key from the environment as GitHub passes it), shows a
// short load test of release 1 through the same SSH connection with its verdict, a dry run of the
// next release, then deploys a broken release and shows it rolled back, and opens a developer's
// tunnel: `twittix-infra tunnel --stack` through the same sshd, and a page fetched through it.
//
// Then production, on a Google Cloud simulated in this process by the stand-ins the tests use
// (production.go): cloud-build of examples/stack, promote deploy of its digest, a canary to 100%
// gated on simulated Monitoring series, and a broken release whose canary is rolled back.
//
// Run it with `make demo`, which builds bin/twittix-infra and starts docker and swarm mode first.
package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/twittix/infra/internal/testenv/sshd"
)

const (
	stack   = "twittix-demo"
	webURL  = "http://127.0.0.1:18080/"
	compose = "examples/stack/docker-compose.yml"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	step("Build the example service images twittix/hello:1 and :2 (no pulls: FROM scratch)")
	if err := command("examples/build-images.sh", "1", "2").Run(); err != nil {
		return err
	}
	token := make([]byte, 24)
	if _, err := rand.Read(token); err != nil {
		return err
	}
	if err := os.WriteFile("examples/stack/build/api_token", []byte(base64.StdEncoding.EncodeToString(token)), 0o600); err != nil {
		return err
	}

	step("Start a throwaway sshd on 127.0.0.1, standing in for the pre-production manager twittix-1")
	pub, key, err := newKey()
	if err != nil {
		return err
	}
	server, err := sshd.New(sshd.Options{AuthorizedKeys: []ssh.PublicKey{pub}})
	if err != nil {
		return fmt.Errorf("%w\n(the demo needs root and Debian's openssh-server: run `make demo` as root, or see .ci/prereqs)", err)
	}
	defer server.Close()
	fmt.Printf("sshd listening on %s, host key %s\n", server.Addr(), server.Fingerprint())

	inputs := map[string]string{
		"host":             server.Host,
		"port":             fmt.Sprint(server.Port),
		"user":             "root",
		"ssh_key":          key,
		"host_fingerprint": server.Fingerprint(),
		"stack_name":       stack,
		"compose_files":    compose,
		"resolve_image":    "never", // the images exist only on this machine
		"timeout":          "2m",
	}
	release := func(env string) map[string]string {
		in := map[string]string{"env": env + "\nAPI_TOKEN_FILE=build/api_token"}
		for k, v := range inputs {
			in[k] = v
		}
		return in
	}

	step("Release 1: deploy the stack over SSH and wait for every service")
	if err := deploy(release("HELLO_TAG=1")); err != nil {
		return err
	}
	fmt.Printf("GET %s -> %s", webURL, get(webURL))

	step("Load test of release 1: 5 then 20 req/s through the same SSH connection, with a verdict")
	if err := action("load-test", loadTest(inputs)); err != nil {
		return fmt.Errorf("the load test of release 1 failed its verdict: %w", err)
	}

	step("Dry run of release 2: what would change, touching nothing")
	dry := release("HELLO_TAG=2")
	dry["dry_run"] = "true"
	if err := deploy(dry); err != nil {
		return err
	}

	step("Release 2, broken: its healthcheck fails, the deploy fails and is rolled back")
	if err := deploy(release("HELLO_TAG=2\nHEALTHY=false")); err == nil {
		return fmt.Errorf("the broken release was reported as a success")
	}
	fmt.Printf("GET %s -> %s", webURL, get(webURL))

	step("A developer's tunnel: every published port of the stack, read from the swarm over SSH")
	url, stop, err := tunnel(inputs)
	if err != nil {
		return err
	}
	fmt.Printf("GET %s (through the tunnel) -> %s", url, get(url))
	stop()

	gc, stopCloud, err := startGoogleCloud(os.Stdout)
	if err != nil {
		return fmt.Errorf("failed to start the simulated Google Cloud: %w", err)
	}
	defer stopCloud()
	if err := production(gc); err != nil {
		return err
	}

	step("Done. What to run next")
	fmt.Printf("The stack %s still runs release 1: `docker stack ps %s`, `curl %s`; remove it with `docker stack rm %s`.\n", stack, stack, webURL, stack)
	fmt.Println("The simulated Google Cloud stopped with the demo; against the real one the same actions run from the")
	fmt.Println("reusable workflows (README: The reusable workflows), with the credentials of google-github-actions/auth.")
	fmt.Println("  make test                              # every test: real sshd, real dockerd in swarm mode, fakes of the Google APIs")
	fmt.Println("  bin/twittix-infra --help               # the actions as commands: deploy-swarm, load-test, cloud-build, promote")
	fmt.Println("  bin/twittix-infra cloud-build --source examples/stack --list-files   # what a build would upload")
	fmt.Println("  twittix-infra tunnel --stack twittix   # from a laptop: every published port of pre-production, as local URLs")
	return nil
}

// deploy runs `bin/twittix-infra deploy-swarm` with inputs.
func deploy(inputs map[string]string) error { return action("deploy-swarm", inputs) }

// loadTest is the load-test of the stack's web service (published on the manager's port 18080):
// the connection inputs of the deploy, the targets, a two-step profile and the verdict's limits.
func loadTest(deploy map[string]string) map[string]string {
	in := map[string]string{
		"targets":         "GET http://web/",
		"services":        "web=18080",
		"rate":            "5,20",
		"duration":        "3s",
		"warmup":          "3s", // the first requests after a deploy are slow on a loaded machine
		"max_error_ratio": "0%",
		"max_p99":         "500ms",
	}
	for _, k := range []string{"host", "port", "user", "ssh_key", "host_fingerprint"} {
		in[k] = deploy[k]
	}
	return in
}

// action runs `bin/twittix-infra <name>` with inputs passed as the GitHub runner passes them:
// INPUT_* environment variables (a key on the command line would show in `ps`).
func action(name string, inputs map[string]string) error {
	cmd := command(filepath.Join("bin", "twittix-infra"), name)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for name, value := range inputs {
		cmd.Env = append(cmd.Env, "INPUT_"+strings.ToUpper(name)+"="+value)
	}
	return cmd.Run()
}

// tunnel runs `bin/twittix-infra tunnel --stack` to the demo's sshd (the key passed as the
// INPUT_SSH_KEY variable, not on the command line), echoes its output, and returns the local URL
// of the web service from its table, with the function that interrupts it (as Ctrl-C does).
func tunnel(inputs map[string]string) (string, func(), error) {
	cmd := exec.Command(filepath.Join("bin", "twittix-infra"), "tunnel", "--stack", stack,
		"--host", inputs["host"], "--port", inputs["port"], "--user", inputs["user"],
		"--host-fingerprint", inputs["host_fingerprint"], "--ssh-config", "none")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "INPUT_SSH_KEY=" + inputs["ssh_key"]}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}
	lines := bufio.NewScanner(out)
	url := ""
	for lines.Scan() {
		line := lines.Text()
		fmt.Println(line)
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "web" {
			url = f[2] + "/"
		}
		if strings.Contains(line, "Press Ctrl-C") {
			break
		}
	}
	go func() { _, _ = io.Copy(os.Stdout, out) }()
	if url == "" {
		stop()
		return "", nil, fmt.Errorf("the tunnel printed no local URL for the web service")
	}
	return url, stop, nil
}

func command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd
}

func newKey() (ssh.PublicKey, string, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", err
	}
	block, err := ssh.MarshalPrivateKey(priv, "twittix demo")
	if err != nil {
		return nil, "", err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, "", err
	}
	return sshPub, string(pem.EncodeToMemory(block)), nil
}

func get(url string) string {
	c := http.Client{Timeout: 3 * time.Second}
	for range 10 {
		resp, err := c.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(b)
		}
		time.Sleep(500 * time.Millisecond)
	}
	return "(no answer)\n"
}

// step starts the section title of the demo on its output.
func step(title string) { section(os.Stdout, title) }

// section writes a section title to w.
func section(w io.Writer, title string) {
	fmt.Fprintf(w, "\n\033[1m▶ %s\033[0m\n", title)
}
