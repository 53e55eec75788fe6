package cloudbuild_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	cloudbuild "github.com/twittix/infra/actions/cloud-build"
	"github.com/twittix/infra/internal/testenv/fakecloudbuild"
	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/gcp"
)

// Environment of the child process TestSIGTERMCancelsTheBuild starts.
const (
	childEnv   = "CLOUD_BUILD_TEST_CHILD"
	childBuild = "CLOUD_BUILD_TEST_ADDR"
	childGCS   = "CLOUD_BUILD_TEST_GCS"
)

// TestMain runs the action as twittix-infra's main does when the test binary is started as the
// child of TestSIGTERMCancelsTheBuild: signals cancel the context the action runs in.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		cmd := cloudbuild.NewCommand(cloudbuild.Options{
			Endpoints:  map[gcp.Service]string{gcp.CloudBuild: os.Getenv(childBuild), gcp.Storage: os.Getenv(childGCS)},
			Insecure:   true,
			LogPoll:    20 * time.Millisecond,
			StatusPoll: 30 * time.Millisecond,
		})
		os.Exit(action.Main(ctx, []string{"cloud-build"}, []action.Command{cmd}))
	}
	os.Exit(m.Run())
}

func TestSIGTERMCancelsTheBuild(t *testing.T) {
	t.Parallel()
	fake := fakecloudbuild.Start(t, fakecloudbuild.Options{})
	ws := workspace(t, map[string]string{
		"cloudbuild.yaml": "steps:\n- id: long\n  name: ubuntu\n  entrypoint: bash\n  args: ['-c', 'echo started; sleep 120']\n",
	})
	var out syncBuffer
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), childEnv+"=1", childBuild+"="+fake.Addr, childGCS+"="+fake.GCS.Endpoint())
	for k, v := range githubEnv(t, ws) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, action.EnvName("config")+"=cloudbuild.yaml")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// Once the build runs and its log shows in the job log, the runner cancels the job.
	deadline := time.After(30 * time.Second)
	for !strings.Contains(out.String(), `Step #0 - "long": started`) {
		select {
		case err := <-done:
			t.Fatalf("the action ended before it was cancelled: %v\n%s", err, out.String())
		case <-deadline:
			t.Fatalf("the build log did not show up:\n%s", out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the action did not exit after SIGTERM:\n%s", out.String())
	}
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
		"::warning::The job was cancelled: CancelBuild sent for build "+builds[0].Id+"; Cloud Build confirmed it is CANCELLED",
		"::error::build "+builds[0].Id+" cancelled because the job was cancelled",
		"cloud-build was cancelled",
	)
}
