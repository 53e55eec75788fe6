package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	loadtestaction "github.com/twittix/infra/actions/load-test"
	"github.com/twittix/infra/internal/actiontest"
	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/loadtest"
)

// measure is what one probe measured.
type measure struct {
	requests   uint64
	success    float64 // 0 to 1
	throughput float64 // successful requests per second
	p50, p99   time.Duration
	// CPU time of the attacker, the ssh client, sshd and the service during the probe.
	attacker, sshClient, sshd, service time.Duration
}

func (m measure) sustained(rate float64, maxP99 time.Duration) bool {
	return m.requests > 0 && m.success >= 0.999 && m.throughput >= 0.95*rate && m.p99 <= maxP99
}

// transport is one way of attacking the service.
type transport interface {
	label() string
	probe(ctx context.Context, rate float64, d time.Duration) (measure, error)
}

// actionRun runs the load-test action in-process, from its inputs to its outputs.
type actionRun struct {
	name   string
	server *sshd.Server
	key    string
	port   int
}

func (a *actionRun) label() string { return a.name }

func (a *actionRun) probe(ctx context.Context, rate float64, d time.Duration) (measure, error) {
	dir, err := os.MkdirTemp("", "bench-loadtest-run-")
	if err != nil {
		return measure{}, err
	}
	defer os.RemoveAll(dir)
	env := actiontest.NewBareEnv(map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": dir,
		"GITHUB_OUTPUT": filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
	})
	env.SetInputs(map[string]string{
		"host": a.server.Host, "port": strconv.Itoa(a.server.Port), "user": "root", "ssh_key": a.key,
		"host_fingerprint": a.server.Fingerprint(),
		"targets":          "GET http://svc/", "services": "svc=" + strconv.Itoa(a.port),
		"rate": strconv.FormatFloat(rate, 'f', 0, 64), "duration": d.String(), "warmup": "0",
		"request_timeout": "30s", "max_error_ratio": "100%",
	})
	sshdBefore, selfBefore := portCPU(a.server.Port), selfCPU()
	code := action.Main(ctx, []string{"load-test"}, []action.Command{loadtestaction.Command}, action.WithGetenv(env.Getenv), action.WithWriter(io.Discard))
	self := selfCPU() - selfBefore
	time.Sleep(200 * time.Millisecond) // let sshd reap the session
	m := measure{attacker: self, sshd: portCPU(a.server.Port) - sshdBefore}
	out, err := os.ReadFile(filepath.Join(dir, "output"))
	if err != nil {
		return m, fmt.Errorf("exit code %d and no outputs: %w", code, err)
	}
	outputs, err := actiontest.ParseFileCommands(string(out))
	if err != nil {
		return m, err
	}
	res, err := loadtest.ParseResult([]byte(outputs["result"]))
	if err != nil {
		return m, fmt.Errorf("exit code %d: %w", code, err)
	}
	t := res.Total
	m.requests, m.success, m.throughput = t.Requests, 1-t.ErrorRatio, t.Throughput
	m.p50 = time.Duration(t.Latency.P50 * float64(time.Millisecond))
	m.p99 = time.Duration(t.Latency.P99 * float64(time.Millisecond))
	return m, nil
}

// vegetaCLI runs `vegeta attack | vegeta report` against 127.0.0.1:port.
type vegetaCLI struct {
	name     string
	bin      string
	port     int
	dir      string
	tunnel   *tunnel // the ssh -L process the port leads to, if any
	sshdPort int
}

func (v *vegetaCLI) label() string { return v.name }

func (v *vegetaCLI) probe(ctx context.Context, rate float64, d time.Duration) (measure, error) {
	targets := filepath.Join(v.dir, "targets.txt")
	results := filepath.Join(v.dir, "results.bin")
	if err := os.WriteFile(targets, []byte(fmt.Sprintf("GET http://127.0.0.1:%d/\n", v.port)), 0o644); err != nil {
		return measure{}, err
	}
	var m measure
	var clientBefore, sshdBefore time.Duration
	if v.tunnel != nil {
		clientBefore, sshdBefore = processCPU(v.tunnel.cmd.Process.Pid), portCPU(v.sshdPort)
	}
	attack := exec.CommandContext(ctx, v.bin, "attack", "-rate", strconv.FormatFloat(rate, 'f', 0, 64)+"/1s",
		"-duration", d.String(), "-targets", targets, "-output", results)
	if out, err := attack.CombinedOutput(); err != nil {
		return m, fmt.Errorf("vegeta attack: %w: %s", err, out)
	}
	m.attacker = attack.ProcessState.UserTime() + attack.ProcessState.SystemTime()
	if v.tunnel != nil {
		m.sshClient = processCPU(v.tunnel.cmd.Process.Pid) - clientBefore
		m.sshd = portCPU(v.sshdPort) - sshdBefore
	}
	report, err := exec.CommandContext(ctx, v.bin, "report", "-type", "json", results).Output()
	if err != nil {
		return m, fmt.Errorf("vegeta report: %w", err)
	}
	var r struct {
		Requests   uint64             `json:"requests"`
		Success    float64            `json:"success"`
		Throughput float64            `json:"throughput"`
		Latencies  map[string]float64 `json:"latencies"`
	}
	if err := json.Unmarshal(report, &r); err != nil {
		return m, fmt.Errorf("vegeta report: %w", err)
	}
	m.requests, m.success, m.throughput = r.Requests, r.Success, r.Throughput
	m.p50, m.p99 = time.Duration(r.Latencies["50th"]), time.Duration(r.Latencies["99th"])
	return m, nil
}

// service is the test server, a process on 127.0.0.1.
type service struct {
	cmd  *exec.Cmd
	port int
}

func startService(dir string) (*service, error) {
	bin := filepath.Join(dir, "testserver")
	if out, err := exec.Command("go", "build", "-o", bin, "./internal/testenv/dockertest/testserver").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the test server: %w: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "LISTEN=127.0.0.1:"+strconv.Itoa(port), "VERSION=bench")
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &service{cmd: cmd, port: port}
	if err := waitPort(port); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *service) cpu() time.Duration { return processCPU(s.cmd.Process.Pid) }

func (s *service) stop() { _ = s.cmd.Process.Kill(); _ = s.cmd.Wait() }

// tunnel is an `ssh -N -L` process forwarding a local port to the service through sshd.
type tunnel struct {
	cmd  *exec.Cmd
	port int
}

func startTunnel(ctx context.Context, s *sshd.Server, keyFile, knownHosts string, servicePort int) (*tunnel, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "ssh", "-N", "-F", "/dev/null", "-i", keyFile, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "UserKnownHostsFile="+knownHosts, "-o", "StrictHostKeyChecking=yes", "-o", "ExitOnForwardFailure=yes",
		"-L", fmt.Sprintf("127.0.0.1:%d:127.0.0.1:%d", port, servicePort), "-p", strconv.Itoa(s.Port), "root@"+s.Host)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t := &tunnel{cmd: cmd, port: port}
	if err := waitPort(port); err != nil {
		t.stop()
		return nil, fmt.Errorf("ssh -L: %w", err)
	}
	return t, nil
}

func (t *tunnel) stop() { _ = t.cmd.Process.Kill(); _ = t.cmd.Wait() }

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitPort(port int) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listens on 127.0.0.1:%d after 15s: %w", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// buildVegeta installs vegeta's CLI at the version go.mod requires into dir.
func buildVegeta(dir string) (string, error) {
	cmd := exec.Command("go", "install", "github.com/tsenart/vegeta/v12@v12.13.0")
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building vegeta: %w: %s", err, out)
	}
	return filepath.Join(dir, "vegeta"), nil
}
