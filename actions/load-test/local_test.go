package loadtestaction

import (
	"context"
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

	"github.com/twittix/infra/internal/actiontest"
	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/pkg/action"
)

// TestLocalRunWithFiles runs the action without SSH against a local service, with the targets and
// the baseline read from files of the workspace.
func TestLocalRunWithFiles(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("X-Test") != "yes" || r.Method != http.MethodPost {
			http.Error(w, "missing header or method", http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	ws := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(ws, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return name
	}
	targets := write("targets.txt", "# the service's one endpoint\nPOST "+srv.URL+"/tweets\nX-Test: yes\n")
	// A baseline slower than anything a local server answers in: the comparison passes.
	baseline := write("baseline.json", `{"steps":[{"target_rate":20,"requests":10,"latency_ms":{"p99":10000}}],"total":{"requests":10,"latency_ms":{"p99":10000}}}`)
	in := map[string]string{"targets_file": targets, "baseline_file": baseline, "rate": "20", "duration": "500ms", "warmup": "0"}
	r := runIn(t, ws, in)
	if r.code != action.ExitOK || r.outputs["verdict"] != "pass" {
		t.Fatalf("exit code %d, verdict %q; want a pass:\n%s", r.code, r.outputs["verdict"], r.log)
	}
	res := r.result(t)
	if res.Total.Requests != 10 || res.Total.StatusCodes["200"] != 10 || hits.Load() != 10 {
		t.Errorf("total %+v, the server got %d requests; want 10 POSTs with the header, answered 200", res.Total, hits.Load())
	}
	if !strings.Contains(r.summary, "| Requests | 10 | 10 |") || !strings.Contains(r.summary, "the baseline's p99") {
		t.Errorf("summary lacks the baseline's column and line:\n%s", r.summary)
	}

	write("bad.json", "not json")
	in["baseline_file"] = "bad.json"
	in["targets"] = "GET " + srv.URL
	r = runIn(t, ws, in)
	if r.code != action.ExitUsage || hits.Load() != 10 {
		t.Fatalf("exit code %d, %d requests; want a usage error and nothing sent:\n%s", r.code, hits.Load(), r.log)
	}
	for _, want := range []string{"baseline_file: not a load-test result", "targets"} {
		if !strings.Contains(r.log, want) {
			t.Errorf("log lacks %q:\n%s", want, r.log)
		}
	}
}

// TestCancelReportsWhatWasMeasured cancels a run mid-attack (as SIGINT or SIGTERM do through
// main's context): it stops at once, fails, and still writes the result and the summary.
func TestCancelReportsWhatWasMeasured(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for hits.Load() < 10 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	env := actiontest.NewEnv(t, map[string]string{"GITHUB_WORKSPACE": t.TempDir()})
	env.SetStepInputs(t, "action.yml", map[string]string{"targets": "GET " + srv.URL, "rate": "50", "duration": "1h", "warmup": "0"})
	var log actiontest.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- action.Main(ctx, []string{"load-test"}, []action.Command{Command}, action.WithGetenv(env.Getenv), action.WithWriter(&log))
	}()
	var code int
	select {
	case code = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the run did not stop a minute after it was canceled")
	}
	r := result{code: code, log: log.String(), outputs: env.Outputs(t), summary: env.Summary(t)}
	if r.code != action.ExitFailure {
		t.Errorf("exit code %d, want %d:\n%s", r.code, action.ExitFailure, r.log)
	}
	res := r.result(t)
	if !res.Canceled || res.Total.Requests < 10 || res.Total.StatusCodes["200"] != int(res.Total.Requests) {
		t.Errorf("result %+v: want canceled, with the 10 or more requests answered before", res)
	}
	if !strings.Contains(r.summary, "(canceled: partial result)") || !strings.Contains(r.log, "load test stopped before its end") {
		t.Errorf("the cancel is not reported:\n%s\n%s", r.log, r.summary)
	}
}

// TestInsecureIgnoreHostKeyRefusedInGitHub: under GitHub Actions the action refuses to skip the
// host-key check, before it connects anywhere (issue 10, item 7, as for deploy-swarm).
func TestInsecureIgnoreHostKeyRefusedInGitHub(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	addr := ln.Addr().(*net.TCPAddr)
	r := runIn(t, t.TempDir(), map[string]string{
		"host": addr.IP.String(), "port": strconv.Itoa(addr.Port), "user": "deploy", "ssh_key": sshd.NewKey(t, sshd.Ed25519).OpenSSH(t),
		"insecure_ignore_host_key": "true", "targets": "GET http://web/", "services": "web=8080",
		"rate": "5", "duration": "1s", "warmup": "0",
	})
	if r.code == action.ExitOK {
		t.Fatalf("exit code 0, want insecure_ignore_host_key refused:\n%s", r.log)
	}
	want := "::error::input insecure_ignore_host_key: is refused in GitHub Actions (GITHUB_ACTIONS=true): pin the manager's host key"
	if !strings.Contains(r.log, want) {
		t.Errorf("log lacks %q:\n%s", want, r.log)
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the action opened %d connection(s) to the host although the input was refused", n)
	}
}
