// Command loadtest measures the highest request rate the load-test action sustains with every
// request carried over one SSH connection, side by side in one run with vegeta's own CLI hitting
// the same trivial service directly on loopback (the ceiling), and vegeta through an `ssh -N -L`
// tunnel of OpenSSH's client to the same real sshd.
//
// The service is the test server of internal/testenv/dockertest (GET / answers at once), run as a
// process on 127.0.0.1. The action runs in-process from its inputs to its outputs
// (twittix-infra load-test), with warmup 0, one SSH connection per probe. A rate is sustained when
// at least 99.9% of the requests succeed, the successful throughput reaches 95% of the rate and
// p99 stays under -max-p99, in one of two tries. Rates double from -start until one is not sustained, then -bisect
// bisections narrow the highest sustained one; the transports take turns at each rate. Then each transport runs -rate req/s once more,
// and the CPU time per 1000 requests of each process (attacker, ssh client, sshd, service) shows
// where the time goes.
//
//	go run ./bench/loadtest [-duration 2s] [-start 500] [-rate 1000] [-vegeta /path/to/vegeta]
//
// It needs root (sshd) and Debian's openssh-server and openssh-client. vegeta v12.13.0 is built
// once into a temporary directory with `go install` when -vegeta is not given.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/twittix/infra/internal/testenv/sshd"
)

type params struct {
	duration    time.Duration
	start, rate float64
	bisect      int
	maxP99      time.Duration
	vegeta      string
	verbose     bool
}

func main() {
	var p params
	flag.DurationVar(&p.duration, "duration", 2*time.Second, "duration of each probe")
	flag.Float64Var(&p.start, "start", 500, "first rate probed, in req/s")
	flag.Float64Var(&p.rate, "rate", 1000, "rate of the CPU breakdown run, in req/s")
	flag.IntVar(&p.bisect, "bisect", 2, "bisections between the last sustained rate and the first that was not")
	flag.DurationVar(&p.maxP99, "max-p99", 100*time.Millisecond, "highest p99 of a sustained rate")
	flag.StringVar(&p.vegeta, "vegeta", "", "vegeta v12 binary (default: built with go install)")
	flag.BoolVar(&p.verbose, "v", false, "print every probe")
	flag.Parse()
	if err := run(p); err != nil {
		fmt.Fprintln(os.Stderr, "bench/loadtest:", err)
		os.Exit(1)
	}
}

func run(p params) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "bench-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if p.vegeta == "" {
		if p.vegeta, err = buildVegeta(dir); err != nil {
			return err
		}
	}
	svc, err := startService(dir)
	if err != nil {
		return err
	}
	defer svc.stop()

	key, err := sshd.WriteKeyFile(dir)
	if err != nil {
		return err
	}
	keyPEM, keyFile := key.PEM, key.Path
	server, err := sshd.New(sshd.Options{AuthorizedKeys: []ssh.PublicKey{key.Public}})
	if err != nil {
		return err
	}
	defer server.Close()
	knownHosts := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHosts, []byte(server.KnownHostsLine()+"\n"), 0o600); err != nil {
		return err
	}

	tunnel, err := startTunnel(ctx, server, keyFile, knownHosts, svc.port)
	if err != nil {
		return err
	}
	defer tunnel.stop()

	transports := []transport{
		&vegetaCLI{name: "vegeta CLI, loopback (ceiling)", bin: p.vegeta, port: svc.port, dir: dir},
		&actionRun{name: "load-test action, one SSH connection", server: server, key: keyPEM, port: svc.port},
		&vegetaCLI{name: "vegeta CLI through `ssh -N -L`", bin: p.vegeta, port: tunnel.port, dir: dir, tunnel: tunnel, sshdPort: server.Port},
	}
	max, err := highest(ctx, p, transports)
	if err != nil {
		return err
	}
	var rows []row
	for i, tr := range transports {
		svcBefore := svc.cpu()
		br, err := tr.probe(ctx, p.rate, p.duration)
		if err != nil {
			return fmt.Errorf("%s at %g req/s: %w", tr.label(), p.rate, err)
		}
		br.service = svc.cpu() - svcBefore
		rows = append(rows, row{name: tr.label(), max: max[i], at: br})
	}
	printTable(p, rows)
	return nil
}

// highest returns the highest rate each transport sustains. The transports take turns at each
// rate, so that the load of the machine, shared with other work, weighs on all of them alike.
func highest(ctx context.Context, p params, transports []transport) ([]float64, error) {
	ok := make([]float64, len(transports))
	bad := make([]float64, len(transports))
	try := func(i int, rate float64) error {
		sustained := false
		// A probe that fails is tried once more: another job's burst on the shared machine should
		// not end the climb.
		for attempt := 0; attempt < 2 && !sustained; attempt++ {
			m, err := transports[i].probe(ctx, rate, p.duration)
			if err != nil {
				return fmt.Errorf("%s at %g req/s: %w", transports[i].label(), rate, err)
			}
			sustained = m.sustained(rate, p.maxP99)
			if p.verbose {
				fmt.Fprintf(os.Stderr, "%s: %g req/s: %+v sustained=%v\n", transports[i].label(), rate, m, sustained)
			}
		}
		if sustained {
			ok[i] = rate
		} else {
			bad[i] = rate
		}
		return nil
	}
	for rate := p.start; rate <= 100000; rate *= 2 { // loadtest.MaxRate
		climbing := false
		for i := range transports {
			if bad[i] == 0 {
				climbing = true
				if err := try(i, rate); err != nil {
					return nil, err
				}
			}
		}
		if !climbing {
			break
		}
	}
	for range p.bisect {
		for i := range transports {
			if bad[i] > 0 {
				if err := try(i, (ok[i]+bad[i])/2); err != nil {
					return nil, err
				}
			}
		}
	}
	return ok, nil
}
