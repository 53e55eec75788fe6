package cloudbuild

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"github.com/twittix/infra/internal/testenv/fakecloudbuild"
	"github.com/twittix/infra/pkg/gcp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestSubmissionTag(t *testing.T) {
	t.Parallel()
	tags := map[string]bool{}
	for _, tc := range []struct {
		runID, attempt int64
		want           string
	}{
		{runID: 9876543210, attempt: 2, want: `^gha-9876543210-2-[0-9a-f]{12}$`},
		{runID: 1, attempt: 0, want: `^gha-1-1-[0-9a-f]{12}$`},
		{want: `^local-[0-9a-f]{12}$`},
	} {
		for range 3 {
			tag := SubmissionTag(tc.runID, tc.attempt)
			if !regexp.MustCompile(tc.want).MatchString(tag) || !buildTagRE.MatchString(tag) {
				t.Errorf("SubmissionTag(%d, %d) = %q, want %s and a valid build tag", tc.runID, tc.attempt, tag, tc.want)
			}
			if tags[tag] {
				t.Errorf("SubmissionTag gave %q twice", tag)
			}
			tags[tag] = true
		}
	}
}

// TestRunAnswerLost checks a CreateBuild that took effect but whose answer was lost is not sent
// again: the build is found by its tag, and it is the one followed.
func TestRunAnswerLost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakecloudbuild.Options{})
	e.fake.FailAfter("CreateBuild", status.New(codes.Unavailable, "connection reset; the build was created"), 1)
	dir := tree(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	res, err := e.client.Run(context.Background(), Request{Project: testProject, Region: "europe-west1", Dir: dir, Image: image, RunID: 4242, RunAttempt: 3})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, e.log.text())
	}
	builds := e.fake.Builds()
	if len(builds) != 1 {
		t.Fatalf("%d builds exist, want 1: CreateBuild was sent again after a lost answer", len(builds))
	}
	if res.BuildID != builds[0].Id || res.Status != "SUCCESS" || builds[0].Status != cloudbuildpb.Build_SUCCESS {
		t.Errorf("followed build %s (%s); the service has %s (%s)", res.BuildID, res.Status, builds[0].Id, builds[0].Status)
	}
	if got := e.fake.Calls("CreateBuild"); got != 1 {
		t.Errorf("CreateBuild called %d times, want 1", got)
	}
	if !slices.ContainsFunc(builds[0].Tags, func(tag string) bool { return strings.HasPrefix(tag, "gha-4242-3-") }) {
		t.Errorf("tags = %q, want the submission tag gha-4242-3-...", builds[0].Tags)
	}
	if log := e.log.text(); !strings.Contains(log, "The answer to CreateBuild was lost, but build "+res.BuildID+" was created: following it") {
		t.Errorf("the lost answer is not reported:\n%s", log)
	}
}

// TestRunAnswerLostLookupFails checks a lost answer followed by a failing search is retried as a
// search, never as a second CreateBuild while the first may exist.
func TestRunAnswerLostLookupFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakecloudbuild.Options{})
	e.fake.FailAfter("CreateBuild", status.New(codes.Unavailable, "answer lost"), 1)
	e.fake.Fail("ListBuilds", status.New(codes.ResourceExhausted, "read quota"), 2)
	dir := tree(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	res, err := e.client.Run(context.Background(), Request{Project: testProject, Dir: dir, Image: image})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, e.log.text())
	}
	if builds := e.fake.Builds(); len(builds) != 1 || builds[0].Id != res.BuildID {
		t.Fatalf("%d builds exist (followed %s), want exactly the one followed", len(builds), res.BuildID)
	}
	if got := e.fake.Calls("CreateBuild"); got != 1 {
		t.Errorf("CreateBuild called %d times, want 1", got)
	}
}

// TestRunRefusedBeforeCreation checks RESOURCE_EXHAUSTED, refused before anything is created, is
// retried without a search.
func TestRunRefusedBeforeCreation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakecloudbuild.Options{})
	e.fake.Fail("CreateBuild", status.New(codes.ResourceExhausted, "quota exceeded for concurrent builds"), 2)
	dir := tree(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	if _, err := e.client.Run(context.Background(), Request{Project: testProject, Dir: dir, Image: image}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := e.fake.Calls("CreateBuild"); got != 3 {
		t.Errorf("CreateBuild called %d times, want 3", got)
	}
	if got := e.fake.Calls("ListBuilds"); got != 0 {
		t.Errorf("ListBuilds called %d times, want 0: nothing can have been created", got)
	}
	if got := len(e.fake.Builds()); got != 1 {
		t.Errorf("%d builds, want 1", got)
	}
}

// TestRunCancelledWhileCreating checks a job cancelled while CreateBuild is in flight leaves no
// build running: the one the call created is found by its tag and cancelled.
func TestRunCancelledWhileCreating(t *testing.T) {
	t.Parallel()
	dir := tree(t, map[string]string{"cloudbuild.yaml": "steps:\n- name: ubuntu\n  entrypoint: bash\n  args: ['-c', 'echo working; sleep 60']\n"})
	for _, tc := range []struct {
		name    string
		hang    func(*fakecloudbuild.Server)
		created bool
		wantErr string
	}{
		{name: "created", hang: func(s *fakecloudbuild.Server) { s.HangAfter("CreateBuild", 1) }, created: true,
			wantErr: "cancelled because the job was cancelled (SIGTERM) while it was being created"},
		{name: "not created", hang: func(s *fakecloudbuild.Server) { s.Hang("CreateBuild", 1) },
			wantErr: "the job was cancelled (SIGTERM) while the build was being created; looked for a build tagged local-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, fakecloudbuild.Options{})
			tc.hang(e.fake)
			ctx, cancel := context.WithCancelCause(context.Background())
			go func() {
				for e.fake.Calls("CreateBuild") == 0 {
					time.Sleep(5 * time.Millisecond)
				}
				time.Sleep(20 * time.Millisecond) // the call took effect, or not
				cancel(errors.New("SIGTERM"))
			}()
			res, err := e.client.Run(ctx, Request{Project: testProject, Dir: dir, Config: filepath.Join(dir, "cloudbuild.yaml")})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Run() = %v, want %q\n%s", err, tc.wantErr, e.log.text())
			}
			builds := e.fake.Builds()
			if !tc.created {
				if len(builds) != 0 || res != nil {
					t.Errorf("builds = %v, result = %+v; want none", builds, res)
				}
				return
			}
			if len(builds) != 1 || builds[0].Status != cloudbuildpb.Build_CANCELLED {
				t.Fatalf("builds = %v, want exactly one, CANCELLED", builds)
			}
			if res == nil || res.BuildID != builds[0].Id || res.Status != "CANCELLED" {
				t.Errorf("result = %+v, want the cancelled build %s", res, builds[0].Id)
			}
			if !strings.Contains(e.log.text(), "CancelBuild sent for build "+builds[0].Id+"; Cloud Build confirmed it is CANCELLED") {
				t.Errorf("the cancellation is not reported:\n%s", e.log.text())
			}
		})
	}
}

// TestCancelBudget checks the cancellation of a build stays within DefaultCancelTimeout when
// Cloud Build does not answer, and says it could not confirm it.
func TestCancelBudget(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakecloudbuild.Options{})
	c := New(e.client.builds, e.store, Options{Logger: e.log, Retry: &gcp.RetryPolicy{Attempts: 2, Initial: time.Millisecond}, LogPoll: 20 * time.Millisecond, StatusPoll: 30 * time.Millisecond})
	e.fake.Hang("CancelBuild", 100)
	dir := tree(t, map[string]string{"cloudbuild.yaml": "steps:\n- name: ubuntu\n  entrypoint: bash\n  args: ['-c', 'echo working; sleep 60']\n"})
	ctx, cancelledAt := cancelOnceLogged(e, "working", errors.New("SIGINT"))
	res, err := c.Run(ctx, Request{Project: testProject, Dir: dir, Config: filepath.Join(dir, "cloudbuild.yaml")})
	took := time.Since(cancelledAt())
	if took > DefaultCancelTimeout+time.Second {
		t.Errorf("the cancellation took %v, want at most about %v", took, DefaultCancelTimeout)
	}
	if err == nil || !strings.Contains(err.Error(), "the build may still be running: cancel it at https://console.cloud.google.com/") ||
		!strings.Contains(err.Error(), "gcloud builds cancel "+res.BuildID+" --region=global --project="+testProject) {
		t.Errorf("Run() = %v, want the unconfirmed cancellation explained", err)
	}
	if n := e.fake.Calls("CancelBuild"); n < 2 || n > cancelAttempts {
		t.Errorf("CancelBuild sent %d times, want 2 to %d (a hung call is sent again, briefly)", n, cancelAttempts)
	}
	if !strings.Contains(e.log.text(), "the cancellation of build "+res.BuildID+" could not be confirmed") {
		t.Errorf("log:\n%s", e.log.text())
	}
}

// TestCancelCallsShareTheBudget checks the CancelBuild calls after a job is cancelled take their
// deadlines from the cleanup budget given in Options: each a share of it, so that a call that
// hangs leaves time for another within the budget.
func TestCancelCallsShareTheBudget(t *testing.T) {
	t.Parallel()
	const budget = 900 * time.Millisecond
	e := newEnv(t, fakecloudbuild.Options{})
	c := New(e.client.builds, e.store, Options{Logger: e.log, Retry: &gcp.RetryPolicy{Attempts: 2, Initial: time.Millisecond}, LogPoll: 20 * time.Millisecond, StatusPoll: 30 * time.Millisecond, CancelTimeout: budget})
	e.fake.Hang("CancelBuild", 100)
	dir := tree(t, map[string]string{"cloudbuild.yaml": "steps:\n- name: ubuntu\n  entrypoint: bash\n  args: ['-c', 'echo working; sleep 60']\n"})
	ctx, _ := cancelOnceLogged(e, "working", errors.New("SIGINT"))
	if _, err := c.Run(ctx, Request{Project: testProject, Dir: dir, Config: filepath.Join(dir, "cloudbuild.yaml")}); err == nil {
		t.Fatal("Run() = nil, want the unconfirmed cancellation")
	}
	budgets := e.fake.Budgets("CancelBuild")
	if len(budgets) < 2 {
		t.Fatalf("CancelBuild calls with a deadline: %v, want at least 2", budgets)
	}
	for i, left := range budgets {
		if left <= 0 || left > budget/cancelAttempts {
			t.Errorf("CancelBuild call %d had %s left, want a share of the budget: at most %s", i+1, left, budget/cancelAttempts)
		}
	}
}

// cancelOnceLogged returns a context cancelled with cause once the log of e shows text, as a job
// is cancelled while its build runs, and a function that returns when it was cancelled (to call
// once the context is done).
func cancelOnceLogged(e *env, text string, cause error) (ctx context.Context, cancelledAt func() time.Time) {
	ctx, cancel := context.WithCancelCause(context.Background())
	at := make(chan time.Time, 1)
	go func() {
		for !strings.Contains(e.log.text(), text) {
			time.Sleep(5 * time.Millisecond)
		}
		at <- time.Now()
		cancel(cause)
	}()
	return ctx, sync.OnceValue(func() time.Time { return <-at })
}
