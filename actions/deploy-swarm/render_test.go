package deployswarm

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/twittix/infra/internal/testenv/golden"
	"github.com/twittix/infra/pkg/swarm"
)

// at is a moment of a test run, ms milliseconds after it started.
func at(ms int) time.Time {
	return time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond)
}

func renderCases() map[string]*swarm.Result {
	return map[string]*swarm.Result{
		"success": {
			Stack: "shop", Duration: 4230 * time.Millisecond,
			Services: []swarm.ServiceResult{
				{Name: "shop_api", Image: "ghcr.io/twittix/api:v2@sha256:" + "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12",
					ImageBefore: "ghcr.io/twittix/api:v1", Running: 2, Desired: 2, State: swarm.StateUpdated, Changed: true,
					Update: &swarm.Timing{Start: at(120), End: at(3900), Converged: true}},
				{Name: "shop_cache", Image: "redis:7", ImageBefore: "redis:7", Running: 1, Desired: 1, State: swarm.StateUnchanged},
				{Name: "shop_old", ImageBefore: "ghcr.io/twittix/old:v1", State: swarm.StatePruned, Changed: true},
				{Name: "shop_web", Image: "ghcr.io/twittix/web:v5", Running: 1, Desired: 1, State: swarm.StateCreated, Changed: true,
					Update: &swarm.Timing{Start: at(100), End: at(2250), Converged: true}},
			},
			Changed:        []string{"shop_api", "shop_old", "shop_web"},
			Networks:       []string{"shop_default"},
			Secrets:        []string{"shop_db-1a2b3c4d"},
			RemovedObjects: []string{"shop_db-99887766"},
		},
		"failure": {
			Stack: "shop", Duration: 61 * time.Second, RolledBack: true,
			Services: []swarm.ServiceResult{
				{Name: "shop_api", Image: "ghcr.io/twittix/api:v1", ImageBefore: "ghcr.io/twittix/api:v1", Running: 1, Desired: 1, State: swarm.StateRolledBack, Changed: true,
					Update:   &swarm.Timing{Start: at(0), End: at(31250), Failed: true},
					Rollback: &swarm.Timing{Start: at(31500), End: at(45800), Converged: true}},
				{Name: "shop_web", ImageBefore: "", State: swarm.StateRemovedNew, Changed: true,
					Update:   &swarm.Timing{Start: at(20), End: at(31250)},
					Rollback: &swarm.Timing{Start: at(31510), End: at(31620), Converged: true}},
			},
			Changed: []string{"shop_api", "shop_web"},
			Failures: []swarm.ServiceFailure{{
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
			Services: []swarm.ServiceResult{
				{Name: "shop_api", Image: "ghcr.io/twittix/api:v2", ImageBefore: "ghcr.io/twittix/api:v1", Desired: 2, State: swarm.StateWouldUpdate, Changed: true,
					Changes: []swarm.Change{{Field: "image", Before: "ghcr.io/twittix/api:v1", After: "ghcr.io/twittix/api:v2"},
						{Field: "env", Summary: "VERSION changed, NEW_FLAG added, OLD_FLAG removed (values hidden)"},
						{Field: "ports", After: "8080:80/tcp (host)"}}},
				{Name: "shop_web", Image: "ghcr.io/twittix/web:v5", Desired: 1, State: swarm.StateWouldCreate, Changed: true},
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
			services, err := servicesJSON(res)
			if err != nil {
				t.Fatal(err)
			}
			changed, err := changedJSON(res)
			if err != nil {
				t.Fatal(err)
			}
			got := "services: " + services + "\nchanged: " + changed + "\nduration: " + durationSeconds(res) + "\n\n" + summary(res).String()
			golden.Check(t, filepath.Join("testdata", "render", name+".golden"), got)
		})
	}
}
