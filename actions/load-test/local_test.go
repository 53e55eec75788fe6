package loadtestaction

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

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
