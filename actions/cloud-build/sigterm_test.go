package cloudbuild_test

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	cloudbuild "github.com/twittix/infra/actions/cloud-build"
	"github.com/twittix/infra/internal/actiontest"
	"github.com/twittix/infra/internal/repotest"
	"github.com/twittix/infra/internal/testenv/fakecloudbuild"
	"github.com/twittix/infra/pkg/action"
)

// What the runner does when a job is cancelled: SIGINT, SIGTERM 7.5 s later if the process still
// runs, SIGKILL 2.5 s after that.
const (
	runnerTermAfter = 7500 * time.Millisecond
	runnerKillAfter = 2500 * time.Millisecond
)

// TestJobCancelledCancelsTheBuild runs the real binary as the runner runs the action, cancels the
// job as the runner does, and checks the build was cancelled through CancelBuild before the
// process exited non-zero.
func TestJobCancelledCancelsTheBuild(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "twittix-infra")
	if err := repotest.BuildBinary(bin, "sigterm-test"); err != nil { // the binary the image runs
		t.Fatal(err)
	}
	fake := fakecloudbuild.Start(t, fakecloudbuild.Options{})
	ws := workspace(t, map[string]string{
		"cloudbuild.yaml": "steps:\n- id: long\n  name: ubuntu\n  entrypoint: bash\n  args: ['-c', 'echo started; sleep 120']\n",
	})
	var out actiontest.SyncBuffer
	cmd := exec.Command(bin, "cloud-build")
	cmd.Stdout, cmd.Stderr = &out, &out
	env := githubEnv(t, ws)
	env.SetStepInputs(t, "action.yml", map[string]string{"config": "cloudbuild.yaml"})
	cmd.Env = append(env.Environ(), cloudbuild.TestEndpointsEnv+"=cloudbuild="+fake.Addr+",storage="+fake.GCS.Endpoint())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// Once the build runs and its log shows in the job log, the runner cancels the job.
	deadline := time.After(60 * time.Second)
	for !strings.Contains(out.String(), `Step #0 - "long": started`) {
		select {
		case err := <-done:
			t.Fatalf("the action ended before it was cancelled: %v\n%s", err, out.String())
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("the build log did not show up:\n%s", out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	exited, err := waitDone(done, runnerTermAfter)
	if !exited {
		t.Logf("still running %v after SIGINT: SIGTERM", runnerTermAfter)
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if exited, err = waitDone(done, runnerKillAfter); !exited {
			cmd.Process.Kill()
			<-done
			t.Fatalf("the action was still running %v after the job was cancelled: the runner would kill it\n%s", time.Since(start), out.String())
		}
	}
	t.Logf("exited (%v) %v after SIGINT", err, time.Since(start).Round(time.Millisecond))

	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != action.ExitFailure {
		t.Errorf("exit = %v, want code %d", err, action.ExitFailure)
	}
	builds := fake.Builds()
	if len(builds) != 1 || builds[0].Status != cloudbuildpb.Build_CANCELLED {
		t.Fatalf("builds = %v, want one CANCELLED", builds)
	}
	if got := fake.Calls("CancelBuild"); got != 1 {
		t.Errorf("CancelBuild called %d times, want 1", got)
	}
	contains(t, "log", out.String(),
		"::warning::"+cloudbuild.TestEndpointsEnv+" is set: connecting to local fakes",
		"::warning::The job was cancelled: CancelBuild sent for build "+builds[0].Id+"; Cloud Build confirmed it is CANCELLED",
		"::error::build "+builds[0].Id+" cancelled because the job was cancelled",
		"cloud-build was cancelled",
	)
}

// waitDone waits for the process to end, at most d.
func waitDone(done <-chan error, d time.Duration) (exited bool, err error) {
	select {
	case err = <-done:
		return true, err
	case <-time.After(d):
		return false, nil
	}
}
