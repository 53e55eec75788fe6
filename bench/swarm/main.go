// Command swarm benchmarks the deploy-swarm action against `docker stack deploy --detach=false`,
// both reaching the local swarm through the same real sshd, as the pre-production deploys do:
// the action runs in-process (twittix-infra deploy-swarm, its real code from inputs to outputs)
// with its key given as an input; docker v29 runs with DOCKER_HOST=ssh://... and an ssh wrapper
// that gives it the same key and pinned host key. For stacks of 1, 5, 10 and 20 services it times
// the creation of the stack, then an update of every service's image (one replica each,
// update_config monitor 2s, order start-first), and counts the SSH logins each run made (from
// sshd's log). It prints a Markdown table with the ratios. In the same run it times the floor of
// an update, the same image updates sent straight to the local Docker socket (floor.go), and
// prints deploy-swarm's time over it with where that time goes, from deploy-swarm's Engine API
// calls recorded by a proxy in front of the socket (trace.go); updates are medians of -rounds.
//
//	go run ./bench/swarm [-sizes 1,5,10,20] [-rounds 3] [-docker /path/to/docker-v29] [-v]
//
// It needs root (sshd), dockerd in swarm mode and Debian's openssh-server and openssh-client. The
// docker v29 CLI is built once from the docker/cli module source into the user cache directory
// when -docker is not given.
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	deployswarm "github.com/twittix/infra/actions/deploy-swarm"
	"github.com/twittix/infra/internal/testenv/dockertest"
	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/pkg/action"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "bench/swarm:", err)
		os.Exit(1)
	}
}

type row struct {
	services                int
	phase                   string
	docker, ours            time.Duration
	dockerLogins, ourLogins int
}

func run(ctx context.Context) error {
	sizesFlag := flag.String("sizes", "1,5,10,20", "comma-separated stack sizes")
	dockerFlag := flag.String("docker", "", "docker v29 CLI to compare with (default: built from the module source)")
	monitor := flag.Duration("monitor", 2*time.Second, "update_config.monitor of the services")
	verbose := flag.Bool("v", false, "show the output of both deploys")
	settle := flag.Duration("settle", 3*time.Second, "pause between two timed deploys, so that one's cleanup does not slow the next")
	local := flag.Bool("local", false, "run deploy-swarm on the (traced) local Docker socket instead of through SSH")
	showCalls := flag.Bool("calls", false, "print the Engine API calls of each deploy-swarm update to stderr")
	rounds := flag.Int("rounds", 3, "update rounds per stack size; the tables show their medians")
	flag.Parse()
	if *rounds < 1 {
		return fmt.Errorf("-rounds: %d is not a number of rounds; give 1 or more", *rounds)
	}
	var sizes []int
	for _, s := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 99 {
			return fmt.Errorf("-sizes: %q is not a number of services between 1 and 99", s)
		}
		sizes = append(sizes, n)
	}

	c, err := dockertest.Connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := dockertest.BuildImages(ctx, c, "v1", "v2"); err != nil {
		return err
	}
	docker, err := dockerCLI(ctx, *dockerFlag)
	if err != nil {
		return fmt.Errorf("failed to get a docker v29 CLI (pass -docker): %w", err)
	}
	dir, err := os.MkdirTemp("", "bench-swarm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	b, err := newBench(dir, docker, *verbose)
	if err != nil {
		return err
	}
	defer b.server.Close()

	tr, err := newTracer(filepath.Join(dir, "docker-trace.sock"), strings.TrimPrefix(dockertest.Host(), "unix://"))
	if err != nil {
		return err
	}
	defer tr.Close()
	b.tracer = tr
	b.showCalls, b.local = *showCalls, *local

	var (
		rows   []row
		floors []floorRow
	)
	for _, n := range sizes {
		create, fr, err := b.size(ctx, c, n, *rounds, *monitor, *settle)
		if err != nil {
			return err
		}
		rows = append(rows, create, fr.update)
		floors = append(floors, fr)
	}
	printTable(os.Stdout, rows, *monitor)
	printFloor(os.Stdout, floors, *rounds, *monitor)
	return nil
}

// bench holds the sshd both tools go through and the key they log in with.
type bench struct {
	server    *sshd.Server
	key       string // OpenSSH private key, as the action's ssh_key input
	docker    string
	dir       string
	pathEnv   string // PATH with the ssh wrapper first, for docker's ssh:// helper
	out       io.Writer
	tracer    *tracer // the Engine API socket deploy-swarm reaches through SSH
	showCalls bool
	local     bool // deploy-swarm's docker_host is the tracer's socket: no SSH
}

func newBench(dir, docker string, verbose bool) (*bench, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "bench")
	if err != nil {
		return nil, err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	server, err := sshd.New(sshd.Options{AuthorizedKeys: []ssh.PublicKey{sshPub}})
	if err != nil {
		return nil, err
	}
	b := &bench{server: server, key: string(pem.EncodeToMemory(block)), docker: docker, dir: dir, out: io.Discard}
	if verbose {
		b.out = os.Stderr
	}
	// docker's ssh:// helper runs `ssh` from PATH: a wrapper gives it the key and the pinned host
	// key, and nothing from the user's ssh configuration.
	keyFile := filepath.Join(dir, "id_ed25519")
	knownHosts := filepath.Join(dir, "known_hosts")
	wrapperDir := filepath.Join(dir, "bin")
	wrapper := fmt.Sprintf("#!/bin/sh\nexec /usr/bin/ssh -F /dev/null -i %s -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes \"$@\"\n", keyFile, knownHosts)
	for path, content := range map[string]string{keyFile: b.key, knownHosts: server.KnownHostsLine() + "\n", filepath.Join(wrapperDir, "ssh"): wrapper} {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			server.Close()
			return nil, err
		}
		if err := os.WriteFile(path, []byte(content), 0o700); err != nil {
			server.Close()
			return nil, err
		}
	}
	b.pathEnv = wrapperDir + string(os.PathListSeparator) + os.Getenv("PATH")
	return b, nil
}

// compose writes a stack of n services running the test image variant, and returns its path.
func (b *bench) compose(n int, variant string, monitor time.Duration) string {
	var s strings.Builder
	s.WriteString("version: \"3.9\"\nservices:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&s, "  s%02d:\n    image: %s\n    stop_grace_period: 2s\n    deploy:\n      endpoint_mode: dnsrr\n      replicas: 1\n"+
			"      update_config:\n        monitor: %s\n        order: start-first\n", i, dockertest.Image(variant), monitor)
	}
	path := filepath.Join(b.dir, fmt.Sprintf("stack-%d-%s.yml", n, variant))
	if err := os.WriteFile(path, []byte(s.String()), 0o644); err != nil {
		panic(err)
	}
	return path
}

// logins counts the SSH logins sshd accepted so far.
func (b *bench) logins() int {
	return strings.Count(b.server.Logs(), "Accepted publickey for")
}

// dockerDeploy times `docker stack deploy --detach=false` over DOCKER_HOST=ssh://.
func (b *bench) dockerDeploy(ctx context.Context, stack, file string) (time.Duration, int, error) {
	cmd := exec.CommandContext(ctx, b.docker, "stack", "deploy", "--detach=false", "-c", file, stack)
	cmd.Env = append(os.Environ(), "PATH="+b.pathEnv, "DOCKER_CONFIG="+filepath.Join(b.dir, "docker-config"),
		fmt.Sprintf("DOCKER_HOST=ssh://root@%s:%d", b.server.Host, b.server.Port))
	cmd.Stdout, cmd.Stderr = b.out, b.out
	before := b.logins()
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("docker stack deploy %s: %w", stack, err)
	}
	return took, b.logins() - before, nil
}

// actionDeploy times `twittix-infra deploy-swarm` run in-process with the inputs a workflow
// would give it, the key included.
func (b *bench) actionDeploy(ctx context.Context, stack, file string) (time.Duration, int, error) {
	vars := map[string]string{
		"INPUT_HOST":          b.server.Host,
		"INPUT_PORT":          strconv.Itoa(b.server.Port),
		"INPUT_USER":          "root",
		"INPUT_SSH_KEY":       b.key,
		"INPUT_KNOWN_HOSTS":   b.server.KnownHostsLine(),
		"INPUT_DOCKER_SOCKET": b.tracer.socket,
		"INPUT_STACK_NAME":    stack,
		"INPUT_COMPOSE_FILES": file,
		"GITHUB_WORKSPACE":    b.dir,
	}
	if b.local {
		for _, k := range []string{"INPUT_HOST", "INPUT_PORT", "INPUT_USER", "INPUT_SSH_KEY", "INPUT_KNOWN_HOSTS", "INPUT_DOCKER_SOCKET"} {
			delete(vars, k)
		}
		vars["INPUT_DOCKER_HOST"] = "unix://" + b.tracer.socket
	}
	before := b.logins()
	start := b.tracer.reset()
	code := action.Main(ctx, []string{"deploy-swarm"}, []action.Command{deployswarm.Command},
		action.WithGetenv(func(k string) string { return vars[k] }), action.WithWriter(b.out))
	took := time.Since(start)
	if code != 0 {
		return 0, 0, fmt.Errorf("deploy-swarm %s exited %d (run with -v for its log)", stack, code)
	}
	return took, b.logins() - before, nil
}

func printTable(w io.Writer, rows []row, monitor time.Duration) {
	fmt.Fprintf(w, "\n## deploy-swarm vs docker stack deploy, both over SSH to the local swarm\n\n")
	fmt.Fprintf(w, "One replica per service, update_config monitor %s, order start-first; wall time of each deploy.\n\n", monitor)
	fmt.Fprintln(w, "| Services | Phase | `docker stack deploy --detach=false` (ssh://) | `deploy-swarm` | Ratio | SSH logins (docker / ours) |")
	fmt.Fprintln(w, "|---:|---|---:|---:|---:|---:|")
	var first, last *row
	for i, r := range rows {
		fmt.Fprintf(w, "| %d | %s | %.2f s | %.2f s | %.2fx | %d / %d |\n", r.services, r.phase,
			r.docker.Seconds(), r.ours.Seconds(), r.ours.Seconds()/r.docker.Seconds(), r.dockerLogins, r.ourLogins)
		if r.phase == "update" {
			if first == nil {
				first = &rows[i]
			}
			last = &rows[i]
		}
	}
	if first != nil && last != first {
		per := func(r0, r1 *row, d func(row) time.Duration) float64 {
			return (d(*r1) - d(*r0)).Seconds() / float64(r1.services-r0.services)
		}
		fmt.Fprintf(w, "\nGrowth per added service (update, %d to %d services): docker %.2f s, deploy-swarm %.2f s.\n",
			first.services, last.services, per(first, last, func(r row) time.Duration { return r.docker }),
			per(first, last, func(r row) time.Duration { return r.ours }))
	}
}
