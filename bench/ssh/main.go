// Command ssh measures what carrying the Docker Engine API over pkg/sshconn costs, against
// docker's own ssh:// connection helper (what `DOCKER_HOST=ssh://... docker stack deploy` uses: one
// `ssh` process per connection, running `docker system dial-stdio` on the server). Both reach the
// local dockerd through the same real sshd on 127.0.0.1, with the same moby client.
//
// Three workloads: connecting and a first ping; sequential pings (the HTTP connection is reused);
// bursts of concurrent pings, as a wait loop polling many services makes (each burst opens new
// connections beyond the idle pool). It prints a Markdown table with medians over -runs runs, the
// SSH connections each transport made, and the ratio to the ssh:// helper.
//
// Run it with `make bench` or `go run ./bench/ssh [-runs 3]`. It needs dockerd and sshd (root).
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/docker/cli/cli/connhelper"
	"github.com/moby/moby/client"
	"golang.org/x/crypto/ssh"

	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/pkg/sshconn"
)

type params struct {
	runs, sequential, bursts, concurrency int
}

func main() {
	var p params
	flag.IntVar(&p.runs, "runs", 3, "runs of each workload; medians are reported")
	flag.IntVar(&p.sequential, "sequential", 50, "sequential pings")
	flag.IntVar(&p.bursts, "bursts", 5, "bursts of concurrent pings")
	flag.IntVar(&p.concurrency, "concurrency", 20, "concurrent pings per burst")
	flag.Parse()
	if err := run(p); err != nil {
		fmt.Fprintln(os.Stderr, "bench/ssh:", err)
		os.Exit(1)
	}
}

// transport makes a Docker client and says how many SSH connections it made so far.
type transport struct {
	name    string
	connect func(ctx context.Context) (*client.Client, func() int64, func(), error)
}

type result struct {
	connect, sequential, bursts time.Duration
	sshConnections              int64
}

func run(p params) error {
	dir, err := os.MkdirTemp("", "bench-ssh-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	key, err := sshd.WriteKeyFile(dir)
	if err != nil {
		return err
	}
	keyPEM, keyFile := key.PEM, key.Path

	withForwarding, err := sshd.New(sshd.Options{AuthorizedKeys: []ssh.PublicKey{key.Public}})
	if err != nil {
		return err
	}
	defer withForwarding.Close()
	noForwarding, err := sshd.New(sshd.Options{AuthorizedKeys: []ssh.PublicKey{key.Public}, DisableStreamLocal: true})
	if err != nil {
		return err
	}
	defer noForwarding.Close()
	knownHostsFile := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHostsFile, []byte(withForwarding.KnownHostsLine()+"\n"), 0o600); err != nil {
		return err
	}

	transports := []transport{
		{"ssh:// helper (ssh binary per connection)", helperTransport(withForwarding, keyFile, knownHostsFile)},
		{"sshconn, direct-streamlocal", sshconnTransport(withForwarding, keyPEM)},
		{"sshconn, dial-stdio fallback", sshconnTransport(noForwarding, keyPEM)},
	}
	var results []result
	for _, tr := range transports {
		r, err := measure(p, tr)
		if err != nil {
			return fmt.Errorf("%s: %w", tr.name, err)
		}
		results = append(results, r)
	}
	printTable(p, transports, results)
	return nil
}

func sshconnTransport(s *sshd.Server, keyPEM string) func(ctx context.Context) (*client.Client, func() int64, func(), error) {
	return func(ctx context.Context) (*client.Client, func() int64, func(), error) {
		c, err := sshconn.Dial(ctx, sshconn.Config{Endpoint: sshconn.Endpoint{
			Host: s.Host, Port: s.Port, User: "root", Key: keyPEM, HostFingerprint: s.Fingerprint(),
		}}, nil)
		if err != nil {
			return nil, nil, nil, err
		}
		docker, err := c.DockerClient(ctx)
		if err != nil {
			c.Close()
			return nil, nil, nil, err
		}
		return docker, func() int64 { return c.Stats().Connections }, func() { docker.Close(); c.Close() }, nil
	}
}

func helperTransport(s *sshd.Server, keyFile, knownHostsFile string) func(ctx context.Context) (*client.Client, func() int64, func(), error) {
	return func(ctx context.Context) (*client.Client, func() int64, func(), error) {
		helper, err := connhelper.GetConnectionHelperWithSSHOpts(fmt.Sprintf("ssh://root@%s:%d", s.Host, s.Port), []string{
			"-F", "/dev/null", "-i", keyFile, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
			"-o", "UserKnownHostsFile=" + knownHostsFile, "-o", "StrictHostKeyChecking=yes",
		})
		if err != nil {
			return nil, nil, nil, err
		}
		var dials atomic.Int64
		docker, err := client.New(client.WithHost(helper.Host), client.WithDialContext(
			func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return helper.Dialer(ctx, network, addr)
			}))
		if err != nil {
			return nil, nil, nil, err
		}
		if _, err := docker.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
			docker.Close()
			return nil, nil, nil, err
		}
		return docker, dials.Load, func() { docker.Close() }, nil
	}
}

// measure runs every workload p.runs times on fresh clients and keeps the medians.
func measure(p params, tr transport) (result, error) {
	var connects, sequentials, bursts []time.Duration
	var conns int64
	for i := 0; i < p.runs; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		start := time.Now()
		docker, connections, closeFn, err := tr.connect(ctx)
		if err != nil {
			cancel()
			return result{}, err
		}
		connects = append(connects, time.Since(start))

		start = time.Now()
		for j := 0; j < p.sequential; j++ {
			if _, err := docker.Ping(ctx, client.PingOptions{}); err != nil {
				closeFn()
				cancel()
				return result{}, err
			}
		}
		sequentials = append(sequentials, time.Since(start))

		start = time.Now()
		for b := 0; b < p.bursts; b++ {
			if err := burst(ctx, docker, p.concurrency); err != nil {
				closeFn()
				cancel()
				return result{}, err
			}
		}
		bursts = append(bursts, time.Since(start))
		conns = connections()
		closeFn()
		cancel()
	}
	return result{connect: median(connects), sequential: median(sequentials), bursts: median(bursts), sshConnections: conns}, nil
}

func burst(ctx context.Context, docker *client.Client, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := docker.Ping(ctx, client.PingOptions{})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func printTable(p params, transports []transport, results []result) {
	base := results[0]
	ratio := func(d, b time.Duration) string { return fmt.Sprintf("%.2f×", float64(d)/float64(b)) }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
	fmt.Println("## SSH transport to the Docker Engine API (medians of", p.runs, "runs)")
	fmt.Println()
	fmt.Printf("| transport | connect + first ping | %d sequential pings | %d bursts of %d concurrent pings | SSH connections per run |\n",
		p.sequential, p.bursts, p.concurrency)
	fmt.Println("| --- | --- | --- | --- | --- |")
	for i, r := range results {
		fmt.Printf("| %s | %s (%s) | %s (%s) | %s (%s) | %d |\n", transports[i].name,
			ms(r.connect), ratio(r.connect, base.connect),
			ms(r.sequential), ratio(r.sequential, base.sequential),
			ms(r.bursts), ratio(r.bursts, base.bursts), r.sshConnections)
	}
	fmt.Println()
	fmt.Println("Ratios are to the ssh:// helper (lower is better).")
}
