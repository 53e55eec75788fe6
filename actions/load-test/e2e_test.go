package loadtestaction

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/twittix/infra/internal/actiontest"
	"github.com/twittix/infra/internal/testenv/dockertest"
	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/internal/testenv/tcpproxy"
	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/loadtest"
	"github.com/twittix/infra/pkg/logging"
	"github.com/twittix/infra/pkg/swarm"
)

// variant is the tag of the test image these tests build: their own, so that the tests of other
// packages, sharing the daemon, do not rebuild it from another tree while these run.
const variant = "loadtest"

// composeDelays is a stack of two test servers publishing host-mode ports: fast answers GET /
// after 5ms, slow after 150ms.
const composeDelays = `version: "3.9"
services:
  fast:
    image: twittix-test/app:` + variant + `
    environment: {DELAY: 5ms}
    ports:
      - target: 8080
        published: ${FAST_PORT}
        protocol: tcp
        mode: host
    deploy: {endpoint_mode: dnsrr, replicas: 1}
  slow:
    image: twittix-test/app:` + variant + `
    environment: {DELAY: 150ms}
    ports:
      - target: 8080
        published: ${SLOW_PORT}
        protocol: tcp
        mode: host
    deploy: {endpoint_mode: dnsrr, replicas: 1}
`

// env is the deployed stack and a real sshd on this host, which is the swarm's manager.
type env struct {
	server             *sshd.Server
	keyText            string
	fastPort, slowPort int
}

// TestLoadTestOverSSH deploys one stack to the real swarm, then runs the action against it
// through a real sshd: runs that pass and fail their thresholds, one that regresses from a
// baseline, and one whose connection is cut during the attack.
func TestLoadTestOverSSH(t *testing.T) {
	t.Parallel()
	e := deploy(t)

	// The baseline is the result of a real run against the fast service.
	var baseline string

	t.Run("group", func(t *testing.T) {
		t.Run("passes its thresholds", func(t *testing.T) {
			t.Parallel()
			in := e.inputs(e.fastPort)
			in["max_p99"] = "2s"
			r := run(t, in)
			if r.code != action.ExitOK {
				t.Fatalf("exit code %d, want 0:\n%s", r.code, r.log)
			}
			res := r.result(t)
			if r.outputs["verdict"] != "pass" || !res.Verdict.Pass {
				t.Errorf("verdict %q, %+v; want pass", r.outputs["verdict"], res.Verdict)
			}
			if len(res.Steps) != 2 || res.Steps[0].Requests != 10 || res.Steps[1].Requests != 20 || res.Steps[1].StatusCodes["200"] != 20 {
				t.Errorf("steps %+v, want 10 then 20 requests, all 200", res.Steps)
			}
			if res.WarmupRequests == 0 || res.Steps[0].Latency.P50 < 5 {
				t.Errorf("warm-up %d requests, p50 %g ms: want a warm-up and the service's 5ms delay measured", res.WarmupRequests, res.Steps[0].Latency.P50)
			}
			for _, want := range []string{"## Load test: passed", "### Step 1: 10 req/s", "### Step 2: 20 req/s", "xychart-beta", `x-axis ["10 req/s", "20 req/s"]`, "the p99 limit"} {
				if !strings.Contains(r.summary, want) {
					t.Errorf("summary lacks %q:\n%s", want, r.summary)
				}
			}
			if !strings.Contains(r.log, "SSH: 1 connection(s), 0 reconnect(s)") {
				t.Errorf("the log does not show every request over one SSH connection:\n%s", r.log)
			}
			baseline = r.outputs["result"]
		})
		t.Run("fails its thresholds", func(t *testing.T) {
			t.Parallel()
			in := e.inputs(e.slowPort)
			in["max_p99"] = "50ms"
			r := run(t, in)
			if r.code != action.ExitFailure || r.outputs["verdict"] != "fail" {
				t.Fatalf("exit code %d, verdict %q; want a failure:\n%s", r.code, r.outputs["verdict"], r.log)
			}
			if !strings.Contains(r.log, "::error::the load test failed its verdict: 10 req/s: p99 is") {
				t.Errorf("no error annotation naming the failed check:\n%s", r.log)
			}
			if !strings.Contains(r.summary, "## Load test: failed") || !strings.Contains(r.summary, "❌") {
				t.Errorf("summary does not show the failure:\n%s", r.summary)
			}
		})
	})

	t.Run("regresses from the baseline", func(t *testing.T) {
		if baseline == "" {
			t.Skip("no baseline: the passing run failed")
		}
		in := e.inputs(e.slowPort)
		in["baseline"] = baseline
		in["max_p99_growth"] = "50%"
		r := run(t, in)
		if r.code != action.ExitFailure || r.outputs["verdict"] != "fail" {
			t.Fatalf("exit code %d, verdict %q; want a failure:\n%s", r.code, r.outputs["verdict"], r.log)
		}
		if !strings.Contains(r.log, "10 req/s: p99 vs baseline") || !strings.Contains(r.summary, "the baseline's p99") {
			t.Errorf("the failure does not name the baseline:\n%s\n%s", r.log, r.summary)
		}
	})

	t.Run("connection cut during the attack", func(t *testing.T) {
		proxy := tcpproxy.Start(t, e.server.Addr())
		in := e.inputs(e.slowPort)
		in["port"] = strconv.Itoa(proxy.Port())
		in["known_hosts"] = ""
		in["host_fingerprint"] = e.server.Fingerprint()
		in["connect_retries"] = "0"
		in["connect_timeout"] = "2s"
		in["warmup"] = "0"
		in["duration"] = "3s"
		in["rate"] = "20"
		go func() {
			// Once requests flow, the manager becomes unreachable: every connection is cut and no
			// new one is accepted.
			for proxy.Active() == 0 {
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(time.Second)
			proxy.Close()
		}()
		r := run(t, in)
		if r.code != action.ExitFailure {
			t.Fatalf("exit code %d, want a failure:\n%s", r.code, r.log)
		}
		res := r.result(t)
		if res.Total.Requests != 60 || res.Total.StatusCodes["0"] == 0 || res.Total.StatusCodes["200"] == 0 {
			t.Errorf("total %+v: want the 60 requests sent, some answered before the cut and some failed after", res.Total)
		}
		for _, want := range []string{"was lost", "::error::the load test failed its verdict"} {
			if !strings.Contains(r.log, want) {
				t.Errorf("log lacks %q:\n%s", want, r.log)
			}
		}
	})
}

// TestBadInputsAllAtOnce checks every bad input is reported in one run, and nothing is sent.
func TestBadInputsAllAtOnce(t *testing.T) {
	t.Parallel()
	var received atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { received.Add(1) }))
	t.Cleanup(srv.Close)
	r := run(t, map[string]string{
		"targets":         "GET http://web/\n\nGET http://nope/x\n\nGET http://web:9/",
		"services":        "web=" + strings.TrimPrefix(srv.URL, "http://"),
		"rate":            "10,0",
		"max_error_ratio": "150%",
		"max_p99":         "-1s",
		"baseline":        "{}",
		"user":            "root",
	})
	if r.code != action.ExitUsage {
		t.Fatalf("exit code %d, want %d:\n%s", r.code, action.ExitUsage, r.log)
	}
	for _, want := range []string{
		`targets: target 2 (http://nope/x): unknown service "nope"`,
		"targets: target 3 (http://web:9/): service web: unknown port 9",
		"rate: 0 req/s is out of range",
		`max_error_ratio: "150%25" is above 100%25`, // % is escaped in annotations
		"max_p99",
		"baseline: the result has no measured requests",
	} {
		if !strings.Contains(r.log, want) {
			t.Errorf("log lacks %q:\n%s", want, r.log)
		}
	}
	if n := received.Load(); n != 0 {
		t.Errorf("the service received %d requests, want none", n)
	}
}

// deploy deploys composeDelays on the swarm and starts sshd, both removed when t ends.
func deploy(t *testing.T) *env {
	t.Helper()
	docker := dockertest.RequireSwarm(t)
	dockertest.RequireImages(t, docker, variant)
	stack := dockertest.NewStack(t, docker, "lt")
	ports := freePorts(t, 2)
	file := filepath.Join(t.TempDir(), "docker-compose.yml")
	if err := os.WriteFile(file, []byte(composeDelays), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := swarm.DefaultOptions(stack, file)
	opts.ResolveImage = swarm.ResolveNever
	opts.Timeout = 2 * time.Minute
	opts.Env = map[string]string{"FAST_PORT": strconv.Itoa(ports[0]), "SLOW_PORT": strconv.Itoa(ports[1])}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := swarm.Deploy(ctx, docker, logging.Discard, opts); err != nil {
		t.Fatalf("deploying the test stack: %v", err)
	}
	for _, p := range ports {
		waitHTTP(ctx, t, p)
	}
	key := sshd.NewKey(t, sshd.Ed25519)
	server := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{key.Public}})
	return &env{server: server, keyText: key.OpenSSH(t), fastPort: ports[0], slowPort: ports[1]}
}

// inputs are the inputs of a short stepped run against the service published on port, over SSH.
func (e *env) inputs(port int) map[string]string {
	return map[string]string{
		"host":        e.server.Host,
		"port":        strconv.Itoa(e.server.Port),
		"user":        "root",
		"ssh_key":     e.keyText,
		"known_hosts": e.server.KnownHostsLine(),
		"targets":     "GET http://svc/",
		"services":    "svc=" + strconv.Itoa(port),
		"rate":        "10,20",
		"duration":    "1s",
		"warmup":      "500ms",
	}
}

// result is one run of the action in a GitHub Actions environment.
type result struct {
	code    int
	log     string
	outputs map[string]string
	summary string
}

func (r result) result(t *testing.T) *loadtest.Result {
	t.Helper()
	var res loadtest.Result
	if err := json.Unmarshal([]byte(r.outputs["result"]), &res); err != nil {
		t.Fatalf("result output %q: %v\n%s", r.outputs["result"], err, r.log)
	}
	return &res
}

// run runs `twittix-infra load-test` with inputs as the runner passes them.
func run(t *testing.T, inputs map[string]string) result {
	t.Helper()
	return runIn(t, t.TempDir(), inputs)
}

// runIn runs `twittix-infra load-test` in the workspace ws.
func runIn(t *testing.T, ws string, inputs map[string]string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env := actiontest.NewEnv(t, map[string]string{"GITHUB_WORKSPACE": ws})
	env.SetStepInputs(t, "action.yml", inputs)
	var log actiontest.SyncBuffer
	code := action.Main(ctx, []string{"load-test"}, []action.Command{Command}, action.WithGetenv(env.Getenv), action.WithWriter(&log))
	r := result{code: code, log: log.String(), outputs: env.Outputs(t), summary: env.Summary(t)}
	if key := inputs["ssh_key"]; key != "" {
		for _, line := range strings.Split(key, "\n") {
			if line = strings.TrimSpace(line); len(line) > 16 && !strings.HasPrefix(line, "-----") && strings.Contains(actiontest.Visible(r.log)+r.summary+r.outputs["result"], line) {
				t.Errorf("a line of the SSH key appears in the log, summary or outputs")
			}
		}
	}
	return r
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
		defer ln.Close()
	}
	return ports
}

// waitHTTP waits until the service published on port answers.
func waitHTTP(ctx context.Context, t *testing.T, port int) {
	t.Helper()
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the service on port %d never answered: %v", port, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
