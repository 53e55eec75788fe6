package promote_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/twittix/infra/internal/testenv/fakemonitoring"
)

// TestDeployShiftRollback runs the action three times as a workflow would: deploy the commit's
// image, shift a quarter of the traffic to it (named by the tag deploy output), roll back.
func TestDeployShiftRollback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	common := map[string]string{"service": "web", "region": region}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range common {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}

	r := e.action(t, with("mode", "deploy", "image", "img:2", "revision_suffix", "v2",
		"env_vars", "LOG_LEVEL=info\n", "secrets", "DB_PASSWORD=db-password", "labels", "commit=1a2b3c4"))
	if r.code != 0 {
		t.Fatalf("deploy exited %d:\n%s", r.code, r.log)
	}
	if r.outputs["revision"] != "web-v2" || r.outputs["tag"] != "sha-1a2b3c4" || !strings.HasPrefix(r.outputs["tag_url"], "http://127.0.0.1:") {
		t.Errorf("deploy outputs = %v", r.outputs)
	}
	if got, want := entries(t, r.outputs["traffic"]), e.first+"=100"; got != want {
		t.Errorf("deploy traffic output = %s, want %s", got, want)
	}
	contains(t, "deploy log", r.log, "::group::Deploy img:2 as revision web-v2 of web", "revision web-v2 is ready")
	contains(t, "deploy summary", r.summary, "## promote deploy: web", "Revision: `web-v2`", "| `"+e.first+"` |  | 100% | 100% |", "| `web-v2` | `sha-1a2b3c4` | 0% | 0% |")

	// A workflow_dispatch form passes every input, the empty ones as "".
	r = e.action(t, with("mode", "shift", "to", r.outputs["tag"], "percent", "25", "steps", "", "probe_path", "", "max_5xx_percent", ""))
	if r.code != 0 {
		t.Fatalf("shift exited %d:\n%s", r.code, r.log)
	}
	if got, want := e.split(), e.first+"=75,web-v2=25"; got != want {
		t.Errorf("traffic after shift = %s, want %s", got, want)
	}
	if got, want := entries(t, r.outputs["previous_traffic"]), e.first+"=100"; got != want {
		t.Errorf("previous_traffic = %s, want %s", got, want)
	}
	contains(t, "shift summary", r.summary, "| `"+e.first+"` |  | 100% | 75% |", "| `web-v2` | `sha-1a2b3c4` | 0% | 25% |")
	if got := e.run.Service(service).GetAnnotations()["twittix-infra/last-change"]; !strings.HasPrefix(got, "shift sha-1a2b3c4=25 by https://github.com/twittix/web/actions/runs/4242 [") {
		t.Errorf("recorded change = %q", got)
	}

	r = e.action(t, with("mode", "rollback"))
	if r.code != 0 {
		t.Fatalf("rollback exited %d:\n%s", r.code, r.log)
	}
	if got, want := e.split(), e.first+"=100"; got != want {
		t.Errorf("traffic after rollback = %s, want %s", got, want)
	}
	if r.outputs["revision"] != e.first {
		t.Errorf("rollback revision output = %q", r.outputs["revision"])
	}
}

// TestShiftSpecWithTheFormsPercent runs a shift as the promote form does: percent is always
// passed, at its default 100 unless changed, and a spec in to wins over it.
func TestShiftSpecWithTheFormsPercent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.action(t, map[string]string{"mode": "deploy", "service": "web", "region": region, "image": "img:2", "revision_suffix": "v2"}); r.code != 0 {
		t.Fatalf("deploy exited %d:\n%s", r.code, r.log)
	}
	r := e.action(t, map[string]string{"mode": "shift", "service": "web", "region": region,
		"to": e.first + "=90,sha-1a2b3c4=10", "percent": "100", "steps": "10,50,100", "bake_time": "5m"})
	if r.code != 0 {
		t.Fatalf("shift exited %d:\n%s", r.code, r.log)
	}
	if got, want := e.split(), e.first+"=90,web-v2=10"; got != want {
		t.Errorf("traffic = %s, want %s", got, want)
	}
}

func TestCanaryRolledBackByProbe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.action(t, map[string]string{"mode": "deploy", "service": "web", "region": region, "image": "img:2", "revision_suffix": "v2"}); r.code != 0 {
		t.Fatalf("deploy exited %d:\n%s", r.code, r.log)
	}
	e.mon.SetSeries(fakemonitoring.RequestCount(project, region, "web", "web-v2", "2xx", 5000))
	e.run.SetHandler("img:2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			http.Error(w, "broken", http.StatusInternalServerError)
		}
	}))
	r := e.action(t, map[string]string{"mode": "canary", "service": "web", "region": region, "to": "sha-1a2b3c4",
		"steps": "20,100", "bake_time": "50ms", "gate_interval": "10ms", "probe_path": "/healthz", "max_5xx_percent": "1"})
	if r.code != 1 {
		t.Fatalf("canary exited %d, want 1:\n%s", r.code, r.log)
	}
	// Workflow commands escape % as %25.
	contains(t, "log", r.log, "::error::canary of revision web-v2 failed its gate at step 1 (20%25): probe: GET /healthz: 500, want 200", "Roll back web to "+e.first+" 100%25")
	contains(t, "summary", r.summary, "**Failed and rolled back**", "| 1/2 | 20% |", "❌ probe: GET /healthz: 500, want 200", "✅ metrics: 0/5000 5xx (0.00%)")
	if got, want := e.split(), e.first+"=100"; got != want {
		t.Errorf("traffic = %s, want %s", got, want)
	}
	if got, want := entries(t, r.outputs["traffic"]), e.first+"=100"; got != want {
		t.Errorf("traffic output = %s, want %s", got, want)
	}
}

func TestCanaryPasses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.action(t, map[string]string{"mode": "deploy", "service": "web", "region": region, "image": "img:2", "tag": "release-2"}); r.code != 0 {
		t.Fatalf("deploy exited %d:\n%s", r.code, r.log)
	}
	rev := e.run.Service(service).GetLatestCreatedRevision()
	rev = rev[strings.LastIndex(rev, "/")+1:]
	e.mon.SetSeries(
		fakemonitoring.RequestCount(project, region, "web", rev, "2xx", 990),
		fakemonitoring.RequestCount(project, region, "web", rev, "5xx", 10),
		fakemonitoring.Latency(project, region, "web", rev, 300))
	r := e.action(t, map[string]string{"mode": "canary", "service": "web", "region": region, "to": "release-2",
		"steps": "10,50,100", "bake_time": "30ms,30ms,0s", "gate_interval": "10ms", "probe_path": "/",
		"max_5xx_percent": "2", "max_p99_latency": "500ms", "min_requests": "1000"})
	if r.code != 0 {
		t.Fatalf("canary exited %d:\n%s", r.code, r.log)
	}
	if got, want := e.split(), rev+"=100"; got != want {
		t.Errorf("traffic = %s, want %s", got, want)
	}
	contains(t, "summary", r.summary, "### Canary steps", "| 3/3 | 100% |", "✅ metrics: 10/1000 5xx (1.00%), p99 300ms")
}

func TestBadInputs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.action(t, map[string]string{"mode": "deploy", "service": "Web", "region": "europe-west",
		"percent": "120", "steps": "50,10", "bake_time": "1m,2m,3m", "to": "a=10,b=20",
		"env_vars": "BAD NAME=hunter2", "max_5xx_percent": "x"})
	if r.code != 2 {
		t.Fatalf("exit code %d, want 2:\n%s", r.code, r.log)
	}
	contains(t, "log", r.log,
		"input service: is not a Cloud Run service name",
		"input region:",
		"input image: is required when mode is deploy",
		"input percent: 120 is out of range; use a value from 0 to 100",
		"input steps: must increase: 10 is not above 50",
		"input bake_time: has 3 durations for 2 steps",
		"input to: a traffic spec (a=10,b=20) is only for mode shift",
		"input env_vars: line 1 is not NAME=VALUE",
		`input max_5xx_percent: "x" is not a percent`)
	if strings.Contains(r.log, "hunter2") {
		t.Errorf("an env_vars value is in the log:\n%s", r.log)
	}
	if e.run.Calls()["GetService"] != 0 {
		t.Error("the action called Cloud Run despite bad inputs")
	}

	r = e.action(t, map[string]string{"mode": "shift", "service": "web", "region": region, "to": "a=10", "percent": "20"})
	contains(t, "log", r.log, "input percent: is mutually exclusive with a traffic spec in to (a=10)")

	// Without to, shift and canary have nothing to act on: the commit's tag is no default, as the
	// commit (here, of the form's repository) need not be the one deployed.
	for _, mode := range []string{"shift", "canary"} {
		r = e.action(t, map[string]string{"mode": mode, "service": "web", "region": region, "to": "", "percent": "100"})
		if r.code != 2 {
			t.Fatalf("%s without to: exit code %d, want 2:\n%s", mode, r.code, r.log)
		}
		contains(t, "log", r.log, "input to: is required when mode is "+mode+": a revision name, a tag (e.g. sha-1a2b3c4) or LATEST")
	}

	r = e.action(t, map[string]string{"mode": "shift", "service": "web", "region": region, "to": "tag:nope"})
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1:\n%s", r.code, r.log)
	}
	contains(t, "log", r.log, `::error::unknown tag "nope": the service's tags are none`)

	r = e.action(t, map[string]string{"mode": "shift", "service": "nope", "region": region, "to": "LATEST"})
	contains(t, "log", r.log, "::error::service nope not found in project twittix-prod, region europe-west1")
}

func TestSecretsStayOutOfLogsOutputsAndSummary(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const secret = "s3cr3t-private-key-material"
	creds := `{"type":"service_account","project_id":"twittix-prod","private_key":"` + secret + `","client_email":"deployer@twittix-prod.iam.gserviceaccount.com"}`
	// The revision fails, and its condition message quotes the credentials (as a container that
	// prints its environment would): the error is masked wherever it is shown.
	e.run.SetOutcome("img:bad", fakerunOutcome("container crashed: GOOGLE_CREDENTIALS="+creds))
	r := e.action(t, map[string]string{"mode": "deploy", "service": "web", "region": region, "image": "img:bad", "credentials_json": creds})
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1:\n%s", r.code, r.log)
	}
	contains(t, "log", r.log, "::add-mask::"+creds, "container crashed: GOOGLE_CREDENTIALS=***")
	contains(t, "summary", r.summary, "**Failed**: revision web-sha-1a2b3c4-", "GOOGLE\\_CREDENTIALS=\\*\\*\\*")
	for what, text := range map[string]string{"log": strings.ReplaceAll(r.log, "::add-mask::", "MASK"), "summary": r.summary, "outputs": strings.Join(values(r.outputs), "\n")} {
		for _, line := range strings.Split(text, "\n") {
			if strings.Contains(line, secret) && !strings.HasPrefix(line, "MASK") {
				t.Errorf("the secret is in the %s: %q", what, line)
			}
		}
	}
}

func values(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
