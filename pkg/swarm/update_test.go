package swarm

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// webStack renders webCompose for image, with extra lines appended under services.web.
func webStack(image, extra string) string {
	s := strings.ReplaceAll(webCompose, "{{IMAGE}}", image)
	return strings.Replace(s, "    stop_grace_period: 2s\n", "    stop_grace_period: 2s\n"+extra, 1)
}

const rollbackConfig = `    deploy:
      endpoint_mode: dnsrr
      replicas: 1
      update_config:
        monitor: 1s
        order: start-first
        failure_action: {{ACTION}}
      rollback_config:
        monitor: 1s
        order: start-first
`

func TestImageUpdateConverges(t *testing.T) {
	e := newEnv(t, "update")
	e.mustDeploy(e.options(e.write("v1.yml", webStack("twittix-test/app:v1", ""))))
	before := e.service("web")

	res := e.mustDeploy(e.options(e.write("v2.yml", webStack("twittix-test/app:v2", ""))))

	after := e.service("web")
	if got := after.Spec.TaskTemplate.ContainerSpec.Image; got != "twittix-test/app:v2" {
		t.Errorf("web image = %q, want twittix-test/app:v2", got)
	}
	if after.UpdateStatus == nil || after.UpdateStatus.State != "completed" {
		t.Errorf("web update status = %+v, want completed", after.UpdateStatus)
	}
	if got := e.runningImages("web"); !cmp.Equal(got, []string{"twittix-test/app:v2"}) {
		t.Errorf("running images = %v, want only v2", got)
	}
	if after.Version.Index == before.Version.Index {
		t.Errorf("web was not updated")
	}
	want := []ServiceResult{{
		Name: e.stack + "_web", Image: "twittix-test/app:v2", ImageBefore: "twittix-test/app:v1",
		Running: 1, Desired: 1, State: StateUpdated, Changed: true,
		Changes: []Change{{Field: "image", Before: "twittix-test/app:v1", After: "twittix-test/app:v2"},
			{Field: "labels", Before: "com.docker.stack.image=twittix-test/app:v1", After: "com.docker.stack.image=twittix-test/app:v2"}},
	}}
	if diff := cmp.Diff(want, res.Services, cmpopts.IgnoreFields(ServiceResult{}, "Update")); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if u := res.Services[0].Update; u == nil || !u.Converged || u.Failed || !u.End.After(u.Start) {
		t.Errorf("web update timing = %+v, want converged after it started", u)
	}
	if !cmp.Equal(res.Changed, []string{e.stack + "_web"}) {
		t.Errorf("changed = %v", res.Changed)
	}
}

func TestUnhealthyUpdateIsRolledBack(t *testing.T) {
	e := newEnv(t, "unhealthy")
	cfg := strings.ReplaceAll(rollbackConfig, "{{ACTION}}", "pause")
	stack := func(image, env string) string {
		s := webStack(image, env)
		return s[:strings.Index(s, "    deploy:")] + cfg
	}
	e.mustDeploy(e.options(e.write("v1.yml", stack("twittix-test/app:v1", ""))))

	res, err := e.deploy(t.Context(), e.options(e.write("v2.yml", stack("twittix-test/app:v2",
		"    environment:\n      UNHEALTHY: \"1\"\n"))))

	var de *DeployError
	if !errors.As(err, &de) {
		t.Fatalf("Deploy error = %v, want a *DeployError", err)
	}
	svc := e.service("web")
	if got := svc.Spec.TaskTemplate.ContainerSpec.Image; got != "twittix-test/app:v1" {
		t.Errorf("web image after rollback = %q, want twittix-test/app:v1", got)
	}
	if got := e.runningImages("web"); !cmp.Equal(got, []string{"twittix-test/app:v1"}) {
		t.Errorf("running images = %v, want v1 only", got)
	}
	if !res.RolledBack || len(res.Failures) != 1 {
		t.Fatalf("result rolled back = %v, failures = %+v; want one failure, rolled back", res.RolledBack, res.Failures)
	}
	f := res.Failures[0]
	// The app exits 0 when Swarm stops it: its task "completed". The reason is its healthcheck,
	// whose output (the probe's "500 Internal Server Error") the container keeps.
	const unhealthy = "unhealthy: 500 Internal Server Error"
	if f.Service != e.stack+"_web" || !strings.Contains(f.Reason, "the update paused") || !strings.HasSuffix(f.Reason, ": "+unhealthy) {
		t.Errorf("failure = %s: %s, want the web update paused, %s", f.Service, f.Reason, unhealthy)
	}
	if !strings.Contains(e.out.String(), "failed: "+f.Reason+"\n") {
		t.Errorf("the log does not give the reason %q:\n%s", f.Reason, e.out.String())
	}
	if len(f.TaskErrors) == 0 || !strings.Contains(f.TaskErrors[0], "twittix-test/app:v2) "+unhealthy) {
		t.Errorf("task errors = %q, want the v2 task %s", f.TaskErrors, unhealthy)
	}
	if strings.Contains(f.Reason+strings.Join(f.TaskErrors, "\n"), "should keep running") {
		t.Errorf("the failure still blames the exit of the task: %s %q", f.Reason, f.TaskErrors)
	}
	// The logs are the v2 task's, oldest first; none of the v1 task that kept running.
	logs := strings.Join(f.Logs, "\n")
	start, check := strings.Index(logs, "testserver v2 starting"), strings.Index(logs, "health check failing")
	if f.LogsNote != "" || start < 0 || check < start || strings.Contains(logs, "testserver v1") || strings.Contains(logs, "Error grabbing logs") {
		t.Errorf("logs (%s) = %q, want the v2 task's start then its health check lines, without v1's", f.LogsNote, f.Logs)
	}
	if got := res.Services[0].State; got != StateRolledBack {
		t.Errorf("web state = %q, want %q", got, StateRolledBack)
	}
	if svc.UpdateStatus == nil || svc.UpdateStatus.State != "rollback_completed" {
		t.Errorf("update status = %+v, want rollback_completed (Swarm's rollback to the previous spec)", svc.UpdateStatus)
	}
}

func TestSwarmStartedRollbackIsAFailure(t *testing.T) {
	e := newEnv(t, "autorb")
	cfg := strings.ReplaceAll(rollbackConfig, "{{ACTION}}", "rollback")
	stack := func(image, env string) string {
		s := webStack(image, env)
		return s[:strings.Index(s, "    deploy:")] + cfg
	}
	e.mustDeploy(e.options(e.write("v1.yml", stack("twittix-test/app:v1", ""))))

	o := e.options(e.write("v2.yml", stack("twittix-test/app:v2", "    environment:\n      UNHEALTHY: \"1\"\n")))
	res, err := e.deploy(t.Context(), o)

	if err == nil {
		t.Fatal("Deploy succeeded, want a failure: Swarm rolled the update back")
	}
	if len(res.Failures) != 1 || !strings.Contains(res.Failures[0].Reason, "Swarm rolled the update back") {
		t.Fatalf("failures = %+v, want Swarm's rollback", res.Failures)
	}
	if r := res.Failures[0].Reason; !strings.HasSuffix(r, ": unhealthy: 500 Internal Server Error") {
		t.Errorf("reason = %q, want it to end with the v2 task's health check output", r)
	}
	svc := e.service("web")
	if got := svc.Spec.TaskTemplate.ContainerSpec.Image; got != "twittix-test/app:v1" {
		t.Errorf("web image = %q, want v1 back", got)
	}
	if svc.UpdateStatus == nil || svc.UpdateStatus.State != "rollback_completed" {
		t.Errorf("update status = %+v, want rollback_completed", svc.UpdateStatus)
	}
	if got := e.runningImages("web"); !cmp.Equal(got, []string{"twittix-test/app:v1"}) {
		t.Errorf("running images = %v, want v1", got)
	}
}

func TestFailureRollsBackEveryChangedService(t *testing.T) {
	e := newEnv(t, "rball")
	const compose = `
version: "3.9"
services:
  web:
    image: twittix-test/app:{{WEB}}
    stop_grace_period: 2s
    deploy:
      endpoint_mode: dnsrr
      update_config: {monitor: 500ms, order: start-first}
      rollback_config: {monitor: 500ms, order: start-first}
  api:
    image: twittix-test/app:{{API}}
    stop_grace_period: 2s
    environment:
      FAIL_START: "{{FAIL}}"
    deploy:
      endpoint_mode: dnsrr
      restart_policy: {delay: 100ms}
      # 3s: the crash must reach Swarm within the monitor window, even on a loaded machine where
      # the container's exit takes more than 500ms to be reported (else Swarm completes the update).
      update_config: {monitor: 3s, order: start-first}
      rollback_config: {monitor: 500ms, order: start-first}
  cache:
    image: twittix-test/app:v1
    deploy:
      endpoint_mode: dnsrr
`
	render := func(web, api, fail string) string {
		return strings.NewReplacer("{{WEB}}", web, "{{API}}", api, "{{FAIL}}", fail).Replace(compose)
	}
	e.mustDeploy(e.options(e.write("v1.yml", render("v1", "v1", "0"))))

	// web updates fine, api crashes at start, cache is untouched, worker is new.
	v2 := render("v2", "v2", "1") + "  worker:\n    image: twittix-test/app:v2\n    deploy:\n      endpoint_mode: dnsrr\n"
	res, err := e.deploy(t.Context(), e.options(e.write("v2.yml", v2)))
	if err == nil {
		t.Fatal("Deploy succeeded, want the api failure")
	}
	if len(res.Failures) != 1 || res.Failures[0].Service != e.stack+"_api" {
		t.Fatalf("failures = %+v, want only api", res.Failures)
	}
	for _, name := range []string{"web", "api"} {
		if got := e.service(name).Spec.TaskTemplate.ContainerSpec.Image; got != "twittix-test/app:v1" {
			t.Errorf("%s image = %q, want v1 after the rollback", name, got)
		}
	}
	if got, want := e.services(), []string{e.stack + "_api", e.stack + "_cache", e.stack + "_web"}; !cmp.Equal(got, want) {
		t.Errorf("services = %v, want %v (the new worker removed)", got, want)
	}
	states := map[string]string{}
	for _, s := range res.Services {
		states[strings.TrimPrefix(s.Name, e.stack+"_")] = s.State
	}
	want := map[string]string{"web": StateRolledBack, "api": StateRolledBack, "cache": StateUnchanged, "worker": StateRemovedNew}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	checkTimings(t, e.stack, res)
}

// checkTimings checks the timings of the result of TestFailureRollsBackEveryChangedService: each
// changed service's update starts before it ends, api's failed, and the rollbacks come after it.
func checkTimings(t *testing.T, stack string, res *Result) {
	t.Helper()
	by := map[string]ServiceResult{}
	for _, s := range res.Services {
		by[strings.TrimPrefix(s.Name, stack+"_")] = s
	}
	if c := by["cache"]; c.Update != nil || c.Rollback != nil {
		t.Errorf("cache, unchanged, has timings %+v %+v", c.Update, c.Rollback)
	}
	api := by["api"].Update
	if api == nil || !api.Failed || api.Converged || api.End.Before(api.Start) {
		t.Fatalf("api update timing = %+v, want failed, ending after its start", api)
	}
	for _, name := range []string{"web", "api", "worker"} {
		u, r := by[name].Update, by[name].Rollback
		if u == nil || r == nil {
			t.Errorf("%s timings = %+v, %+v: want its update and its rollback", name, u, r)
			continue
		}
		if u.End.Before(u.Start) || r.End.Before(r.Start) || r.Start.Before(api.End) || !r.Converged || r.Failed {
			t.Errorf("%s: update %s → %s, rollback %s → %s (converged %v): want each ending after it starts, the rollback converged after api failed at %s",
				name, u.Start, u.End, r.Start, r.End, r.Converged, api.End)
		}
	}
}
