package swarm

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

func TestEvaluate(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	one := uint64(1)
	svc := func(us *swarm.UpdateStatus) *swarm.Service {
		return &swarm.Service{Spec: swarm.ServiceSpec{Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}}},
			ServiceStatus: &swarm.ServiceStatus{DesiredTasks: 1}, UpdateStatus: us}
	}
	status := func(s swarm.UpdateState, msg string) *swarm.UpdateStatus {
		return &swarm.UpdateStatus{State: s, Message: msg}
	}
	task := func(state swarm.TaskState, at time.Time, errMsg string) swarm.Task {
		desired := swarm.TaskStateRunning
		if state != swarm.TaskStateRunning && state != swarm.TaskStateStarting {
			desired = swarm.TaskStateShutdown
		}
		return swarm.Task{DesiredState: desired, Status: swarm.TaskStatus{State: state, Timestamp: at, Err: errMsg}}
	}
	global := func(desired uint64) *swarm.Service {
		return &swarm.Service{Spec: swarm.ServiceSpec{Mode: swarm.ServiceMode{Global: &swarm.GlobalService{}}},
			ServiceStatus: &swarm.ServiceStatus{DesiredTasks: desired}}
	}
	running := task(swarm.TaskStateRunning, t0.Add(time.Second), "")
	starting := task(swarm.TaskStateStarting, t0.Add(time.Second), "")
	failedNow := task(swarm.TaskStateFailed, t0.Add(time.Second), "task: non-zero exit (3)")
	failedBefore := task(swarm.TaskStateFailed, t0.Add(-time.Minute), "task: non-zero exit (3)")

	tests := []struct {
		name       string
		kind       targetKind
		stable     time.Duration
		service    *swarm.Service
		tasks      []swarm.Task
		now        time.Time
		wantDone   bool
		wantReason string // substring; "" for none
	}{
		{"update completed", kindUpdated, 0, svc(status(swarm.UpdateStateCompleted, "")), []swarm.Task{running}, t0, true, ""},
		{"update still running", kindUpdated, 0, svc(status(swarm.UpdateStateUpdating, "")), []swarm.Task{running}, t0, false, ""},
		{"completed but task not running", kindUpdated, 0, svc(status(swarm.UpdateStateCompleted, "")), []swarm.Task{starting}, t0, false, ""},
		{"spec change without new tasks", kindUpdated, 0, svc(nil), []swarm.Task{running}, t0, true, ""},
		{"paused", kindUpdated, 0, svc(status(swarm.UpdateStatePaused, "update paused due to failure")), []swarm.Task{running}, t0, false, "the update paused: update paused due to failure"},
		{"swarm rollback started", kindUpdated, 0, svc(status(swarm.UpdateStateRollbackStarted, "update rolled back due to failure")), nil, t0, false, "Swarm rolled the update back"},
		{"swarm rollback completed", kindUpdated, 0, svc(status(swarm.UpdateStateRollbackCompleted, "rollback completed")), []swarm.Task{running}, t0, false, "Swarm rolled the update back"},
		{"rollback target waits for rollback", kindRollback, 0, svc(status(swarm.UpdateStateRollbackStarted, "")), []swarm.Task{running}, t0, false, ""},
		{"rollback target done", kindRollback, 0, svc(status(swarm.UpdateStateRollbackCompleted, "")), []swarm.Task{running}, t0, true, ""},
		{"rollback paused", kindRollback, 0, svc(status(swarm.UpdateStateRollbackPaused, "stuck")), nil, t0, false, "the rollback paused: stuck"},
		{"tasks keep failing", kindCreated, time.Second, svc(nil), []swarm.Task{failedNow, failedNow, failedNow, starting}, t0, false, "3 tasks failed since the deploy started, the last one: failed: task: non-zero exit (3)"},
		{"old failures do not count", kindCreated, 0, svc(nil), []swarm.Task{failedBefore, failedBefore, failedBefore, running}, t0, true, ""},
		{"two failures are tolerated", kindCreated, 0, svc(nil), []swarm.Task{failedNow, failedNow, running}, t0, true, ""},
		{"created must stay up", kindCreated, 2 * time.Second, svc(nil), []swarm.Task{running}, t0.Add(2900 * time.Millisecond), false, ""},
		{"created stayed up since its task started", kindCreated, 2 * time.Second, svc(nil), []swarm.Task{running}, t0.Add(3 * time.Second), true, ""},
		{"the latest task counts", kindCreated, 2 * time.Second, svc(nil), []swarm.Task{running, task(swarm.TaskStateRunning, t0.Add(2*time.Second), "")}, t0.Add(3 * time.Second), false, ""},
		{"unchanged ignores an old paused update", kindUnchanged, 0, svc(status(swarm.UpdateStatePaused, "old")), []swarm.Task{running}, t0, true, ""},
		{"new global service before its tasks exist", kindCreated, time.Second, global(0), nil, t0.Add(time.Hour), false, ""},
		{"updated global service before its tasks exist", kindUpdated, 0, global(0), nil, t0, false, ""},
		{"new global service with its task running", kindCreated, time.Second, global(1), []swarm.Task{running}, t0.Add(3 * time.Second), true, ""},
		{"unchanged global service on no node", kindUnchanged, 0, global(0), nil, t0, true, ""},
		{"service gone", kindUpdated, 0, nil, nil, t0, false, "disappeared"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := &target{name: "s", kind: tc.kind, since: t0, stableFor: tc.stable}
			evaluate(tg, tc.service, tc.tasks, 3, tc.now)
			if tg.done != tc.wantDone {
				t.Errorf("done = %v, want %v (state %q, reason %q)", tg.done, tc.wantDone, tg.state, tg.reason)
			}
			if tc.wantReason == "" && tg.reason != "" || !strings.Contains(tg.reason, tc.wantReason) {
				t.Errorf("reason = %q, want %q", tg.reason, tc.wantReason)
			}
		})
	}
}

// TestRollbackReasonSaysItOnce: rollback() prefixes the reason of a rollback that did not
// converge; evaluate must not say it already.
func TestRollbackReasonSaysItOnce(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	one := uint64(1)
	svc := &swarm.Service{Spec: swarm.ServiceSpec{Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}}},
		UpdateStatus: &swarm.UpdateStatus{State: swarm.UpdateStateRollbackStarted}}
	failed := swarm.Task{DesiredState: swarm.TaskStateShutdown, Status: swarm.TaskStatus{State: swarm.TaskStateFailed,
		Timestamp: t0.Add(time.Second), Err: "task: non-zero exit (1)"}}
	tg := &target{kind: kindRollback, since: t0}
	evaluate(tg, svc, []swarm.Task{failed, failed, failed}, 3, t0.Add(2*time.Second))
	if want := "3 tasks failed since the deploy started, the last one: failed: task: non-zero exit (1)"; tg.reason != want {
		t.Errorf("reason = %q, want %q", tg.reason, want)
	}
}

func TestEvaluateShowsWhyTasksAreHeld(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	one := uint64(1)
	svc := &swarm.Service{Spec: swarm.ServiceSpec{Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}}},
		UpdateStatus: &swarm.UpdateStatus{State: swarm.UpdateStateUpdating}}
	held := swarm.Task{DesiredState: swarm.TaskStateRunning, Status: swarm.TaskStatus{State: swarm.TaskStatePending, Timestamp: t0.Add(time.Second),
		Err: "no suitable node (host-mode port already in use on 1 node)"}}
	tests := []struct {
		name string
		kind targetKind
		svc  *swarm.Service
		want string
	}{
		{"updating", kindUpdated, svc, "update updating, pending: no suitable node (host-mode port already in use on 1 node)"},
		{"created", kindCreated, &swarm.Service{Spec: svc.Spec}, "starting tasks, pending: no suitable node (host-mode port already in use on 1 node)"},
	}
	for _, tc := range tests {
		tg := &target{name: "s", kind: tc.kind, since: t0}
		evaluate(tg, tc.svc, []swarm.Task{held}, 3, t0.Add(2*time.Second))
		if tg.state != tc.want || tg.done || tg.reason != "" {
			t.Errorf("%s: state = %q (done %v, reason %q), want %q", tc.name, tg.state, tg.done, tg.reason, tc.want)
		}
	}
}

func TestTaskError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		task swarm.Task
		want string
	}{
		{swarm.Task{Status: swarm.TaskStatus{State: swarm.TaskStateRunning}}, ""},
		{swarm.Task{Status: swarm.TaskStatus{State: swarm.TaskStatePending, Err: "no suitable node (scheduling constraints not satisfied on 1 node)"}},
			"pending: no suitable node (scheduling constraints not satisfied on 1 node)"},
		{swarm.Task{Status: swarm.TaskStatus{State: swarm.TaskStateFailed, Err: "task: non-zero exit (2)", ContainerStatus: &swarm.ContainerStatus{ExitCode: 2}}},
			"failed (exit code 2): task: non-zero exit (2)"},
		{swarm.Task{Status: swarm.TaskStatus{State: swarm.TaskStateComplete, Message: "finished", ContainerStatus: &swarm.ContainerStatus{}}},
			"stopped (exit code 0) although the service should keep running: finished"},
		{swarm.Task{Status: swarm.TaskStatus{State: swarm.TaskStateRejected, Message: "invalid mount"}}, "rejected: invalid mount"},
	}
	for _, tc := range tests {
		if got := taskError(tc.task); got != tc.want {
			t.Errorf("taskError(%s) = %q, want %q", tc.task.Status.State, got, tc.want)
		}
	}
}

func TestDemux(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	in := logFrame(1, "one\n") + logFrame(2, "two\n") + logFrame(1, "three\nfour\n") + logFrame(1, "trunc")[:6]
	if err := demux(&out, strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "one\ntwo\nthree\nfour\n"; got != want {
		t.Errorf("demux = %q, want %q", got, want)
	}
}

func logFrame(stream byte, s string) string {
	n := len(s)
	return string([]byte{stream, 0, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}) + s
}

// TestLogLinesInOrder: the lines of several tasks come back oldest first, whatever order the
// daemon streams them in, and only the last n.
func TestLogLinesInOrder(t *testing.T) {
	t.Parallel()
	stream := func(s string) func(context.Context, client.ContainerLogsOptions) (io.ReadCloser, error) {
		return func(_ context.Context, opts client.ContainerLogsOptions) (io.ReadCloser, error) {
			if !opts.Timestamps {
				t.Error("logs read without timestamps: they cannot be ordered")
			}
			return io.NopCloser(strings.NewReader(s)), nil
		}
	}
	newer, err := readLogs(t.Context(), 10, false, stream(
		logFrame(1, "2030-01-01T12:00:03.5Z new task: listening\n")+logFrame(2, "2030-01-01T12:00:04Z new task: fatal\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	older, err := readLogs(t.Context(), 10, true, stream(
		"2030-01-01T12:00:01Z old task: started\n2030-01-01T12:00:03.6Z old task: stopping\nno timestamp\n"+
			"Error grabbing logs: rpc error: code = Unknown desc = task x has not been scheduled\n"))
	if err != nil {
		t.Errorf("readLogs error = %v, want the daemon's complaint about a task without logs ignored", err)
	}
	// A line without a timestamp sorts first, and falls out of the last 4.
	got := lastLogLines(append(newer, older...), 4)
	want := []string{"old task: started", "new task: listening", "old task: stopping", "new task: fatal"}
	if !cmp.Equal(got, want) {
		t.Errorf("lines = %q, want %q", got, want)
	}
}

func TestEvaluateJob(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	two := uint64(2)
	job := &swarm.Service{
		Spec:      swarm.ServiceSpec{Mode: swarm.ServiceMode{ReplicatedJob: &swarm.ReplicatedJob{MaxConcurrent: &two, TotalCompletions: &two}}},
		JobStatus: &swarm.JobStatus{JobIteration: swarm.Version{Index: 7}},
	}
	task := func(state swarm.TaskState, iteration uint64) swarm.Task {
		return swarm.Task{JobIteration: &swarm.Version{Index: iteration}, Status: swarm.TaskStatus{State: state, Timestamp: t0.Add(time.Second), Err: "boom"}}
	}
	tests := []struct {
		name       string
		kind       targetKind
		tasks      []swarm.Task
		wantDone   bool
		wantReason string
	}{
		{"all completed", kindCreated, []swarm.Task{task(swarm.TaskStateComplete, 7), task(swarm.TaskStateComplete, 7)}, true, ""},
		{"one still running", kindUpdated, []swarm.Task{task(swarm.TaskStateComplete, 7), task(swarm.TaskStateRunning, 7)}, false, ""},
		{"older iteration ignored", kindUpdated, []swarm.Task{task(swarm.TaskStateComplete, 7), task(swarm.TaskStateComplete, 6)}, false, ""},
		{"failing", kindCreated, []swarm.Task{task(swarm.TaskStateFailed, 7), task(swarm.TaskStateFailed, 7), task(swarm.TaskStateFailed, 7)}, false, "3 job tasks failed"},
		{"unchanged job", kindUnchanged, nil, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := &target{kind: tc.kind, since: t0}
			evaluate(tg, job, tc.tasks, 3, t0)
			if tg.done != tc.wantDone || !strings.Contains(tg.reason, tc.wantReason) || (tc.wantReason == "" && tg.reason != "") {
				t.Errorf("done = %v, reason = %q; want %v, %q", tg.done, tg.reason, tc.wantDone, tc.wantReason)
			}
		})
	}
}

func TestNextPoll(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	interval := 250 * time.Millisecond
	tests := []struct {
		name    string
		targets []*target
		want    time.Duration
	}{
		{"nothing expected", []*target{{}}, interval},
		{"done soon", []*target{{expectAt: now.Add(100 * time.Millisecond)}}, 105 * time.Millisecond},
		{"the earliest wins", []*target{{expectAt: now.Add(time.Second)}, {expectAt: now.Add(70 * time.Millisecond)}}, 75 * time.Millisecond},
		{"due now: minimum pause", []*target{{expectAt: now.Add(-50 * time.Millisecond)}}, minPoll},
		{"long overdue: normal pace", []*target{{expectAt: now.Add(-time.Second)}}, interval},
		{"done targets ignored", []*target{{done: true, expectAt: now.Add(10 * time.Millisecond)}}, interval},
	}
	for _, tc := range tests {
		if got := nextPoll(tc.targets, now, interval); got != tc.want {
			t.Errorf("%s: nextPoll = %s, want %s", tc.name, got, tc.want)
		}
	}
}
