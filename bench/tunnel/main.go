// Command tunnel measures `twittix-infra tunnel` (pkg/tunnel over pkg/sshconn) against the
// OpenSSH client (`ssh -N -L`), side by side in one run, through the same real sshd on 127.0.0.1,
// to the same servers: one bulk transfer (throughput), and bursts of 100 concurrent short HTTP
// requests, each on a new connection (latency). It prints a Markdown table with medians over
// -runs runs and the ratio of the tunnel to OpenSSH.
//
// Both are processes of their own: bin/twittix-infra (built by `make build`) and ssh.
//
// Run it with `make bench` or `go run ./bench/tunnel [-runs 5 -mib 256]` after `make build`. It
// needs sshd and ssh (root).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/twittix/infra/internal/testenv/sshd"
)

type params struct {
	runs, mib, concurrency int
}

func main() {
	var p params
	flag.IntVar(&p.runs, "runs", 5, "runs of each workload; medians are reported")
	flag.IntVar(&p.mib, "mib", 256, "MiB of the bulk transfer")
	flag.IntVar(&p.concurrency, "concurrency", 100, "concurrent HTTP requests per burst")
	flag.Parse()
	if err := run(p); err != nil {
		fmt.Fprintln(os.Stderr, "bench/tunnel:", err)
		os.Exit(1)
	}
}

// ports are the local ports of one tunnel: to the bulk server and to the HTTP server.
type ports struct{ bulk, web int }

type result struct {
	mibps           float64       // bulk throughput
	burst, p50, p99 time.Duration // wall time of a burst, and request latency percentiles
	failed          int
}

func run(p params) error {
	dir, err := os.MkdirTemp("", "bench-tunnel-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	key, err := sshd.WriteKeyFile(dir)
	if err != nil {
		return err
	}
	keyPEM, keyFile := key.PEM, key.Path
	server, err := sshd.New(sshd.Options{AuthorizedKeys: []ssh.PublicKey{key.Public}, Config: []string{"MaxStartups 200", "MaxSessions 200"}})
	if err != nil {
		return err
	}
	defer server.Close()
	knownFile := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownFile, []byte(server.KnownHostsLine()+"\n"), 0o600); err != nil {
		return err
	}

	bulkPort, stopBulk, err := bulkServer(int64(p.mib) << 20)
	if err != nil {
		return err
	}
	defer stopBulk()
	webPort, stopWeb, err := webServer()
	if err != nil {
		return err
	}
	defer stopWeb()

	ours, oursCmd, err := startOurs(server, keyPEM, bulkPort, webPort)
	if err != nil {
		return err
	}
	defer stop(oursCmd)
	theirs, theirsCmd, err := startOpenSSH(server, keyFile, knownFile, bulkPort, webPort)
	if err != nil {
		return err
	}
	defer stop(theirsCmd)

	var a, b []result
	for i := 0; i < p.runs; i++ {
		// Alternate which goes first, so that neither always runs on a warmer machine.
		if i%2 == 0 {
			a, b = append(a, measure(ours, p)), append(b, measure(theirs, p))
		} else {
			b, a = append(b, measure(theirs, p)), append(a, measure(ours, p))
		}
	}
	print(p, median(a), median(b))
	return nil
}

// measure runs each workload once through the tunnel at pp.
func measure(pp ports, p params) result {
	var r result
	start := time.Now()
	n, err := readAll(pp.bulk)
	if err != nil || n != int64(p.mib)<<20 {
		r.failed++
	}
	r.mibps = float64(n) / (1 << 20) / time.Since(start).Seconds()

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	lat := make([]time.Duration, p.concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	start = time.Now()
	for i := range p.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(pp.web) + "/")
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = errors.New(resp.Status)
				}
			}
			lat[i] = time.Since(t0)
			if err != nil {
				mu.Lock()
				r.failed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.burst = time.Since(start)
	slices.Sort(lat)
	r.p50, r.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	return r
}

func readAll(port int) (int64, error) {
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return io.Copy(io.Discard, c)
}

func median(rs []result) result {
	pick := func(f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	var m result
	m.mibps = pick(func(r result) float64 { return r.mibps })
	m.burst = time.Duration(pick(func(r result) float64 { return float64(r.burst) }))
	m.p50 = time.Duration(pick(func(r result) float64 { return float64(r.p50) }))
	m.p99 = time.Duration(pick(func(r result) float64 { return float64(r.p99) }))
	for _, r := range rs {
		m.failed += r.failed
	}
	return m
}

func print(p params, ours, theirs result) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	fmt.Printf("### tunnel: twittix-infra tunnel vs ssh -N -L (same sshd, medians of %d runs)\n\n", p.runs)
	fmt.Println("| workload | twittix-infra tunnel | ssh -N -L | ratio |")
	fmt.Println("| --- | --- | --- | --- |")
	fmt.Printf("| bulk transfer, %d MiB | %.0f MiB/s | %.0f MiB/s | %.2f× the throughput |\n", p.mib, ours.mibps, theirs.mibps, ours.mibps/theirs.mibps)
	fmt.Printf("| %d concurrent HTTP requests, wall time | %s | %s | %.2f× the time |\n", p.concurrency, ms(ours.burst), ms(theirs.burst), float64(ours.burst)/float64(theirs.burst))
	fmt.Printf("| same, request latency p50 | %s | %s | %.2f× |\n", ms(ours.p50), ms(theirs.p50), float64(ours.p50)/float64(theirs.p50))
	fmt.Printf("| same, request latency p99 | %s | %s | %.2f× |\n", ms(ours.p99), ms(theirs.p99), float64(ours.p99)/float64(theirs.p99))
	fmt.Printf("\nfailed transfers or requests: %d (tunnel), %d (ssh)\n", ours.failed, theirs.failed)
}

// startOurs runs `bin/twittix-infra tunnel -L ... -L ...` (built by `make build`), a process of
// its own as ssh is, and waits until both forwards answer.
func startOurs(s *sshd.Server, key string, bulk, web int) (ports, *exec.Cmd, error) {
	pp := ports{bulk: freePort(), web: freePort()}
	cmd := exec.Command(filepath.Join("bin", "twittix-infra"), "tunnel", "--ssh-config", "none",
		"--host", s.Host, "--port", strconv.Itoa(s.Port), "--user", "root", "--known-hosts", s.KnownHostsLine(),
		"-L", fmt.Sprintf("%d:127.0.0.1:%d", pp.bulk, bulk), "-L", fmt.Sprintf("%d:127.0.0.1:%d", pp.web, web))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "INPUT_SSH_KEY=" + key}
	return pp, cmd, startAndWait(cmd, pp, "bin/twittix-infra tunnel (run `make build` first)")
}

// startAndWait starts cmd and waits until the web forward of pp answers.
func startAndWait(cmd *exec.Cmd, pp ports, what string) error {
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", what, err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(pp.web) + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			stop(cmd)
			return fmt.Errorf("%s did not forward within 15s: %w", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop interrupts cmd, as Ctrl-C does, and waits for it.
func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// startOpenSSH runs `ssh -N -L ... -L ...` and waits until both forwards answer.
func startOpenSSH(s *sshd.Server, keyFile, knownFile string, bulk, web int) (ports, *exec.Cmd, error) {
	pp := ports{bulk: freePort(), web: freePort()}
	cmd := exec.Command("ssh", "-N", "-F", "none", "-i", keyFile, "-p", strconv.Itoa(s.Port),
		"-o", "UserKnownHostsFile="+knownFile, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
		"-o", "ExitOnForwardFailure=yes",
		"-L", fmt.Sprintf("%d:127.0.0.1:%d", pp.bulk, bulk), "-L", fmt.Sprintf("%d:127.0.0.1:%d", pp.web, web),
		"root@"+s.Host)
	return pp, cmd, startAndWait(cmd, pp, "ssh -N -L")
}

// bulkServer sends size bytes to every connection, then closes it.
func bulkServer(size int64) (int, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, nil, err
	}
	chunk := make([]byte, 256<<10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for sent := int64(0); sent < size; {
					n, err := c.Write(chunk[:min(int64(len(chunk)), size-sent)])
					if err != nil {
						return
					}
					sent += int64(n)
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, func() { ln.Close() }, nil
}

// webServer answers every request with a short page.
func webServer() (int, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "hello from the stack\n")
	})}
	go func() { _ = srv.Serve(ln) }()
	return ln.Addr().(*net.TCPAddr).Port, func() { srv.Close() }, nil
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
