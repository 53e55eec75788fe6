package promote_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/twittix/infra/actions/promote"
	"github.com/twittix/infra/internal/actiontest"
	"github.com/twittix/infra/internal/testenv/fakemonitoring"
	"github.com/twittix/infra/internal/testenv/fakerun"
	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/cloudrun/traffic"
	"github.com/twittix/infra/pkg/gcp"
)

const (
	project = "twittix-prod"
	region  = "europe-west1"
	service = "projects/twittix-prod/locations/europe-west1/services/web"
	sha     = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
)

// env is a fake Google Cloud with the service web, whose first revision serves all traffic.
type env struct {
	run   *fakerun.Server
	mon   *fakemonitoring.Server
	first string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{run: fakerun.Start(t), mon: fakemonitoring.Start(t)}
	svc, err := e.run.AddService(service, "img:1")
	if err != nil {
		t.Fatal(err)
	}
	e.first = svc.GetTrafficStatuses()[0].GetRevision()
	return e
}

// run is one run of the action as the GitHub runner starts it: INPUT_ variables, a
// GITHUB_OUTPUT and a GITHUB_STEP_SUMMARY file, the GitHub context of a workflow run.
type run struct {
	code    int
	log     string
	outputs map[string]string
	summary string
}

// action runs the action with the step inputs as the runner passes them (every input of
// action.yml, defaults included), against the fakes of e.
func (e *env) action(t *testing.T, inputs map[string]string) run {
	t.Helper()
	ghEnv := actiontest.NewEnv(t, map[string]string{
		"GITHUB_SHA":           sha,
		"GITHUB_REPOSITORY":    "twittix/web",
		"GITHUB_RUN_ID":        "4242",
		"GITHUB_SERVER_URL":    "https://github.com",
		"GOOGLE_CLOUD_PROJECT": project,
	})
	ghEnv.SetStepInputs(t, "action.yml", inputs)
	cmd := promote.NewCommand(promote.Options{
		Endpoints:    map[gcp.Service]string{gcp.Run: e.run.Addr, gcp.Monitoring: e.mon.Addr},
		Insecure:     true,
		Retry:        gcp.RetryPolicy{Attempts: 3, Initial: 5 * time.Millisecond, Max: 10 * time.Millisecond, Multiplier: 2},
		PollInterval: 5 * time.Millisecond,
	})
	var log actiontest.SyncBuffer
	code := action.Main(context.Background(), []string{"promote"}, []action.Command{cmd},
		action.WithGetenv(ghEnv.Getenv), action.WithWriter(&log))
	return run{code: code, log: log.String(), outputs: ghEnv.Outputs(t), summary: ghEnv.Summary(t)}
}

func entries(t *testing.T, s string) string {
	t.Helper()
	var es []traffic.Entry
	if err := json.Unmarshal([]byte(s), &es); err != nil {
		t.Fatalf("output %q is not a JSON traffic list: %v", s, err)
	}
	var parts []string
	for _, e := range es {
		if e.Percent > 0 {
			parts = append(parts, e.Revision+"="+itoa(e.Percent))
		}
	}
	return strings.Join(parts, ",")
}

func itoa(n int32) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func (e *env) split() string {
	m, order := traffic.Percents(traffic.Normalize(e.run.Service(service).GetTraffic()))
	var parts []string
	for _, k := range order {
		parts = append(parts, k+"="+itoa(m[k]))
	}
	return strings.Join(parts, ",")
}

func contains(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

func fakerunOutcome(fail string) fakerun.Outcome { return fakerun.Outcome{Fail: fail} }
