package swarm

import (
	"context"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

func TestUnhealthyDescription(t *testing.T) {
	t.Parallel()
	health := func(status container.HealthStatus, outputs ...string) *container.State {
		h := &container.Health{Status: status}
		for _, o := range outputs {
			h.Log = append(h.Log, &container.HealthcheckResult{ExitCode: 1, Output: o})
		}
		return &container.State{Status: container.StateExited, Health: h}
	}
	tests := []struct {
		name  string
		state *container.State
		want  string
	}{
		{"no healthcheck", &container.State{Status: container.StateExited}, ""},
		{"healthy", health(container.Healthy, "ok"), ""},
		{"last output, on one line", health(container.Unhealthy, "first", "Get \"http://127.0.0.1/healthz\":\n  connection refused\n"),
			`unhealthy: Get "http://127.0.0.1/healthz": connection refused`},
		{"silent check", health(container.Unhealthy, ""), "unhealthy: the health check exited with 1 and printed nothing"},
		{"long output cut", health(container.Unhealthy, strings.Repeat("x", 400)), "unhealthy: " + strings.Repeat("x", maxHealthOutput) + "..."},
		{"cut between characters", health(container.Unhealthy, "x"+strings.Repeat("é", 300)), "unhealthy: x" + strings.Repeat("é", (maxHealthOutput-1)/2) + "..."},
	}
	for _, tc := range tests {
		if got := unhealthy(tc.state); got != tc.want {
			t.Errorf("%s: unhealthy = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestDescribeInspectsOnlyLocalContainers: a task on another node keeps its Swarm status, without
// an inspect the daemon could not answer (the nil client would panic).
func TestDescribeInspectsOnlyLocalContainers(t *testing.T) {
	t.Parallel()
	d := &taskDescriber{node: "manager-1"}
	task := swarm.Task{ID: "t1", NodeID: "worker-2", Status: swarm.TaskStatus{State: swarm.TaskStateComplete, Message: "finished",
		ContainerStatus: &swarm.ContainerStatus{ContainerID: "abc", ExitCode: 0}}}
	if got, want := d.describe(t.Context(), task), "stopped (exit code 0) although the service should keep running: finished"; got != want {
		t.Errorf("describe = %q, want %q", got, want)
	}
}

func TestFailingTasks(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	v1 := &swarm.ContainerSpec{Image: "app:v1"}
	v2 := &swarm.ContainerSpec{Image: "app:v2", Env: []string{"A=1"}}
	task := func(id string, spec *swarm.ContainerSpec, created time.Time, container string) swarm.Task {
		task := swarm.Task{ID: id, Spec: swarm.TaskSpec{ContainerSpec: spec}}
		task.CreatedAt = created
		if container != "" {
			task.Status.ContainerStatus = &swarm.ContainerStatus{ContainerID: container}
		}
		return task
	}
	stored := *v2
	stored.Isolation = "default" // as the daemon stores it
	tasks := []swarm.Task{
		task("old-v1", v1, t0.Add(-time.Hour), "c1"),
		task("new-v2-b", &stored, t0.Add(2*time.Second), "c3"),
		task("rollback-v1", v1, t0.Add(3*time.Second), "c4"),
		task("new-v2-a", v2, t0.Add(time.Second), "c2"),
		task("new-v2-unscheduled", v2, t0.Add(4*time.Second), ""),
	}
	ids := func(tasks []swarm.Task) []string {
		var out []string
		for _, t := range tasks {
			out = append(out, t.ID)
		}
		return out
	}
	if got, want := ids(failingTasks(tasks, &target{since: t0, want: v2})), []string{"new-v2-a", "new-v2-b"}; !cmp.Equal(got, want) {
		t.Errorf("failing tasks of v2 = %v, want %v", got, want)
	}
	if got, want := ids(failingTasks(tasks, &target{since: t0})), []string{"new-v2-a", "new-v2-b", "rollback-v1"}; !cmp.Equal(got, want) {
		t.Errorf("failing tasks without a spec = %v, want %v", got, want)
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	failed := swarm.Task{ID: "8h5g36wt04fz0loa5bhj4mu2i", NodeID: "elsewhere",
		Status: swarm.TaskStatus{State: swarm.TaskStateFailed, Err: "task: non-zero exit (2)", ContainerStatus: &swarm.ContainerStatus{ExitCode: 2}}}
	paused := &swarm.Service{UpdateStatus: &swarm.UpdateStatus{State: swarm.UpdateStatePaused,
		Message: "update paused due to failure or early termination of task 8h5g36wt04fz0loa5bhj4mu2i"}}
	tests := []struct {
		name string
		t    *target
		want string
	}{
		{"the task the update status names", &target{reason: "the update paused: " + paused.UpdateStatus.Message, service: paused},
			"the update paused: update paused due to failure or early termination of task 8h5g36wt04fz0loa5bhj4mu2i: failed (exit code 2): task: non-zero exit (2)"},
		{"a cause already said stays", &target{reason: "3 tasks failed, the last one: " + taskError(failed), cause: &failed, causeText: taskError(failed)},
			"3 tasks failed, the last one: failed (exit code 2): task: non-zero exit (2)"},
		{"no task to blame", &target{reason: "timed out"}, "timed out"},
	}
	for _, tc := range tests {
		got := explain(t.Context(), &taskDescriber{node: "manager"}, tc.t, []swarm.Task{failed}, nil)
		if got != tc.want {
			t.Errorf("%s: explain = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestFailureLogsFallBackToTheService: when the failing tasks logged nothing, the service's lines
// are shown, and said to be those of its other tasks.
func TestFailureLogsFallBackToTheService(t *testing.T) {
	e := newEnv(t, "logsfb")
	e.mustDeploy(e.options(e.write("compose.yml", oneWeb)))
	svc := e.service("web")
	res, err := e.c.TaskList(t.Context(), client.TaskListOptions{Filters: make(client.Filters).Add("service", svc.ID)})
	if err != nil || len(res.Items) == 0 {
		t.Fatalf("tasks of web: %v, %v", res.Items, err)
	}
	c := &faultyClient{Client: e.c}
	c.taskLogs = func(context.Context, string, client.TaskLogsOptions) (client.TaskLogsResult, error) {
		return io.NopCloser(strings.NewReader("")), nil // a task that printed nothing
	}
	lines, note, err := failureLogs(t.Context(), c, svc.ID, res.Items, 10, false)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(lines, []string{"testserver v1 starting on :8080"}) || !strings.Contains(note, "failing tasks logged nothing") {
		t.Errorf("lines = %q, note = %q; want the service's line, said to come from its other tasks", lines, note)
	}

	lines, note, err = failureLogs(t.Context(), e.c, svc.ID, res.Items, 10, false)
	if err != nil || note != "" || !cmp.Equal(lines, []string{"testserver v1 starting on :8080"}) {
		t.Errorf("from the task itself: lines = %q, note = %q, err = %v; want its line, no note", lines, note, err)
	}
}

// TestFailingServicesAreDiagnosedAtOnce: the logs of several failing services are read at the
// same time, so that a deploy of many services does not add up their log reads (each bounded by
// logsTimeout) while it holds the stack's lock. Every read waits here until reads of two services
// are under way: one at a time, the first would give up.
func TestFailingServicesAreDiagnosedAtOnce(t *testing.T) {
	e := newEnv(t, "diagpar")
	crashing := "    image: twittix-test/app:v1\n    environment: {FAIL_START: \"1\"}\n    deploy:\n      endpoint_mode: dnsrr\n      restart_policy: {delay: 100ms}\n"
	compose := "version: \"3.9\"\nservices:\n  web:\n" + crashing + "  api:\n" + crashing

	var (
		mu       sync.Mutex
		services = map[string]bool{}
		both     = make(chan struct{})
		alone    atomic.Bool
	)
	c := &faultyClient{Client: e.c}
	c.taskLogs = func(ctx context.Context, id string, opts client.TaskLogsOptions) (client.TaskLogsResult, error) {
		res, err := e.c.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).Add("id", id)})
		if err == nil && len(res.Items) == 1 {
			mu.Lock()
			if services[res.Items[0].ServiceID] = true; len(services) == 2 {
				select {
				case <-both:
				default:
					close(both)
				}
			}
			mu.Unlock()
		}
		select {
		case <-both:
		case <-time.After(logsTimeout - 2*time.Second):
			alone.Store(true)
		}
		return e.c.TaskLogs(ctx, id, opts)
	}
	o := e.options(e.write("compose.yml", compose))
	o.Timeout = 10 * time.Second // both fail together, at the timeout, once both have crashed
	o.MaxTaskFailures = 1000
	o.RollbackOnFailure = false
	res, err := Deploy(t.Context(), c, e.log, o)

	if err == nil || len(res.Failures) != 2 {
		t.Fatalf("Deploy = %v with failures %+v, want both services timed out", err, res.Failures)
	}
	if alone.Load() {
		t.Error("the logs of one failing service were read alone: services are diagnosed one after the other")
	}
	for _, f := range res.Failures {
		if !strings.Contains(strings.Join(f.Logs, "\n"), "configured to fail at start") {
			t.Errorf("%s: logs = %q, want its crash", f.Service, f.Logs)
		}
	}
}
