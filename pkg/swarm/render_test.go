package swarm

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files of the render tests")

// at is a moment of a test run, ms milliseconds after it started.
func at(ms int) time.Time {
	return time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond)
}

func renderCases() map[string]*Result {
	return map[string]*Result{
		"success": {
			Stack: "shop", Duration: 4230 * time.Millisecond,
			Services: []ServiceResult{
				{Name: "shop_api", Image: "ghcr.io/twittix/api:v2@sha256:" + "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12",
					ImageBefore: "ghcr.io/twittix/api:v1", Running: 2, Desired: 2, State: StateUpdated, Changed: true,
					Update: &Timing{Start: at(120), End: at(3900), Converged: true}},
				{Name: "shop_cache", Image: "redis:7", ImageBefore: "redis:7", Running: 1, Desired: 1, State: StateUnchanged},
				{Name: "shop_old", ImageBefore: "ghcr.io/twittix/old:v1", State: StatePruned, Changed: true},
				{Name: "shop_web", Image: "ghcr.io/twittix/web:v5", Running: 1, Desired: 1, State: StateCreated, Changed: true,
					Update: &Timing{Start: at(100), End: at(2250), Converged: true}},
			},
			Changed:        []string{"shop_api", "shop_old", "shop_web"},
			Networks:       []string{"shop_default"},
			Secrets:        []string{"shop_db-1a2b3c4d"},
			RemovedObjects: []string{"shop_db-99887766"},
		},
		"failure": {
			Stack: "shop", Duration: 61 * time.Second, RolledBack: true,
			Services: []ServiceResult{
				{Name: "shop_api", Image: "ghcr.io/twittix/api:v1", ImageBefore: "ghcr.io/twittix/api:v1", Running: 1, Desired: 1, State: StateRolledBack, Changed: true,
					Update:   &Timing{Start: at(0), End: at(31250), Failed: true},
					Rollback: &Timing{Start: at(31500), End: at(45800), Converged: true}},
				{Name: "shop_web", ImageBefore: "", State: StateRemovedNew, Changed: true,
					Update:   &Timing{Start: at(20), End: at(31250)},
					Rollback: &Timing{Start: at(31510), End: at(31620), Converged: true}},
			},
			Changed: []string{"shop_api", "shop_web"},
			Failures: []ServiceFailure{{
				Service:    "shop_api",
				Reason:     "the update paused: update paused due to failure or early termination of task x",
				TaskErrors: []string{"task abc (slot 1, image ghcr.io/twittix/api:v2) failed (exit code 1): task: non-zero exit (1)"},
				Logs:       []string{"starting api v2", "panic: config ``` missing | pipe"},
			}, {
				Service:    "shop_web",
				Reason:     "3 tasks failed since the deploy started, the last one: unhealthy: <html><body>503 Service Unavailable</body></html>",
				TaskErrors: []string{"task def (slot 1, image ghcr.io/twittix/web:v5) unhealthy: <html><body>503 Service Unavailable</body></html>"},
				Logs:       []string{"web v4 listening on :8080"},
				LogsNote:   "its failing tasks logged nothing; these are the last lines of its other tasks",
			}},
		},
		"dryrun": {
			Stack: "shop", DryRun: true, Duration: 800 * time.Millisecond,
			Services: []ServiceResult{
				{Name: "shop_api", Image: "ghcr.io/twittix/api:v2", ImageBefore: "ghcr.io/twittix/api:v1", Desired: 2, State: StateWouldUpdate, Changed: true,
					Changes: []Change{{Field: "image", Before: "ghcr.io/twittix/api:v1", After: "ghcr.io/twittix/api:v2"},
						{Field: "env", Summary: "VERSION changed, NEW_FLAG added, OLD_FLAG removed (values hidden)"},
						{Field: "ports", After: "8080:80/tcp (host)"}}},
				{Name: "shop_web", Image: "ghcr.io/twittix/web:v5", Desired: 1, State: StateWouldCreate, Changed: true},
			},
			Changed:  []string{"shop_api", "shop_web"},
			Networks: []string{"shop_back"},
		},
	}
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	for name, res := range renderCases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			services, err := res.ServicesJSON()
			if err != nil {
				t.Fatal(err)
			}
			changed, err := res.ChangedJSON()
			if err != nil {
				t.Fatal(err)
			}
			got := "services: " + services + "\nchanged: " + changed + "\nduration: " + res.DurationSeconds() + "\n\n" + res.Markdown()
			path := filepath.Join("testdata", "render", name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestRenderGolden -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("render of %s (-golden +got):\n%s", name, diff)
			}
		})
	}
}

func TestFileErrorsWalksJoinedAndWrapped(t *testing.T) {
	t.Parallel()
	a := &FileError{File: "a.yml", Line: 3, Err: errString("x")}
	b := &FileError{File: "b.env", Err: errString("y")}
	err := wrap(join(a, wrap(b)))
	got := FileErrors(err)
	if len(got) != 2 || got[0] != a || got[1] != b {
		t.Errorf("FileErrors = %v, want both, in order", got)
	}
	if a.Error() != "a.yml:3: x" || b.Error() != "b.env: y" {
		t.Errorf("messages = %q, %q", a.Error(), b.Error())
	}
}
