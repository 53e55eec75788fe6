// Command swarm benchmarks pkg/swarm's Deploy against `docker stack deploy --detach=false` on the
// local swarm, for stacks of 1, 5, 10 and 20 services: first the creation of the stack, then an
// update of every service's image (one replica each, update_config monitor 2s, order
// start-first). It prints a Markdown table of wall times and ratios.
//
//	go run ./bench/swarm [-sizes 1,5,10,20] [-docker /path/to/docker-v29] [-v]
//
// The daemon is DOCKER_HOST or the local socket, in swarm mode. The docker v29 CLI is built once
// from the docker/cli module source into the user cache directory when -docker is not given.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/moby/moby/client"
	"github.com/twittix/infra/internal/testenv/dockertest"
	"github.com/twittix/infra/pkg/logging"
	"github.com/twittix/infra/pkg/swarm"
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
	services       int
	phase          string
	docker, ours   time.Duration
	calls          int64
	dockerFailures error
}

func run(ctx context.Context) error {
	sizesFlag := flag.String("sizes", "1,5,10,20", "comma-separated stack sizes")
	dockerFlag := flag.String("docker", "", "docker v29 CLI to compare with (default: built from the module source)")
	monitor := flag.Duration("monitor", 2*time.Second, "update_config.monitor of the services")
	verbose := flag.Bool("v", false, "show the output of both deploys")
	settle := flag.Duration("settle", 3*time.Second, "pause between two timed deploys, so that one's cleanup does not slow the next")
	flag.Parse()
	var sizes []int
	for _, s := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 99 {
			return fmt.Errorf("-sizes: %q is not a number of services between 1 and 99", s)
		}
		sizes = append(sizes, n)
	}

	var calls atomic.Int64
	c, err := client.New(client.WithHost(dockertest.Host()), client.WithAPIVersionNegotiation(),
		client.WithHTTPRequestHook(func(*http.Request) error { calls.Add(1); return nil }))
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := dockertest.Connect(ctx); err != nil {
		return err
	}
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

	out := io.Discard
	if *verbose {
		out = os.Stderr
	}
	b := &bench{c: c, docker: docker, dir: dir, out: out, log: logging.New(out)}
	var rows []row
	for _, n := range sizes {
		v1 := b.compose(n, "v1", *monitor)
		v2 := b.compose(n, "v2", *monitor)
		stackD, stackO := dockertest.StackName("bd"), dockertest.StackName("bo")
		for _, phase := range []struct{ name, file string }{{"create", v1}, {"update", v2}} {
			r := row{services: n, phase: phase.name}
			time.Sleep(*settle)
			r.docker, r.dockerFailures = b.dockerDeploy(ctx, stackD, phase.file)
			if r.dockerFailures != nil {
				return r.dockerFailures
			}
			time.Sleep(*settle)
			before := calls.Load()
			if r.ours, err = b.deploy(ctx, stackO, phase.file); err != nil {
				return err
			}
			r.calls = calls.Load() - before
			fmt.Fprintf(os.Stderr, "%2d services %s: docker %s, Deploy %s\n", n, phase.name, r.docker.Round(10*time.Millisecond), r.ours.Round(10*time.Millisecond))
			rows = append(rows, r)
		}
		for _, stack := range []string{stackD, stackO} {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
			err := dockertest.RemoveStack(rctx, c, stack)
			cancel()
			if err != nil {
				return err
			}
		}
	}
	printTable(os.Stdout, rows, *monitor)
	return nil
}

type bench struct {
	c      *client.Client
	docker string
	dir    string
	out    io.Writer
	log    logging.Logger
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

// dockerDeploy times `docker stack deploy --detach=false`.
func (b *bench) dockerDeploy(ctx context.Context, stack, file string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, b.docker, "stack", "deploy", "--detach=false", "-c", file, stack)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+dockertest.Host(), "DOCKER_CONFIG="+filepath.Join(b.dir, "docker-config"))
	cmd.Stdout, cmd.Stderr = b.out, b.out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("docker stack deploy %s: %w", stack, err)
	}
	return took, nil
}

// deploy times pkg/swarm's Deploy with the action's defaults.
func (b *bench) deploy(ctx context.Context, stack, file string) (time.Duration, error) {
	start := time.Now()
	res, err := swarm.Deploy(ctx, b.c, b.log, swarm.DefaultOptions(stack, file))
	took := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("Deploy %s: %w", stack, err)
	}
	if res.Failed() {
		return 0, errors.New("Deploy reported a failure")
	}
	return took, nil
}

func printTable(w io.Writer, rows []row, monitor time.Duration) {
	fmt.Fprintf(w, "\nOne replica per service, update_config monitor %s, order start-first; wall time of each deploy.\n\n", monitor)
	fmt.Fprintln(w, "| Services | Phase | `docker stack deploy --detach=false` | `swarm.Deploy` | Ratio | Engine API calls (Deploy) |")
	fmt.Fprintln(w, "|---:|---|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %d | %s | %.2f s | %.2f s | %.2fx | %d |\n", r.services, r.phase,
			r.docker.Seconds(), r.ours.Seconds(), r.ours.Seconds()/r.docker.Seconds(), r.calls)
	}
}
