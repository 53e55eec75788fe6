package cloudbuild

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twittix/infra/pkg/action"
	cb "github.com/twittix/infra/pkg/cloudbuild"
	"github.com/twittix/infra/pkg/field"
)

// TestRequestErrorsNameTheInputs checks the errors of a build request reach the user naming the
// inputs, through the action's one table, with the request's own errors kept for errors.As.
func TestRequestErrorsNameTheInputs(t *testing.T) {
	t.Parallel()
	bad := cb.Request{
		Project: "Bad_Project", Image: "docker.io/nginx", Config: "cloudbuild.yaml", Region: "Europe West 1",
		WorkerPool: "a/pool", ServiceAccount: "not-an-email", MachineType: "huge", Logging: "loud",
		Timeout: 25 * time.Hour, LogsBucket: "gs://Bad Bucket", StagingDir: "gs://x", Tags: []string{"ok", "not ok"},
		Substitutions: map[string]string{"lower": "x"},
	}
	_, err := bad.Check()
	err = namedAfterInputs(err)
	var inputs []string
	for _, e := range action.Flatten(err) {
		in, _, _ := strings.Cut(e.Error(), ":")
		inputs = append(inputs, in)
		var fe *field.Error
		if !errors.As(e, &fe) {
			t.Errorf("%v: the request's *field.Error is lost", e)
		}
	}
	want := []string{"project", "image", "region", "worker_pool", "service_account", "machine_type", "logging", "timeout", "logs_bucket", "staging_dir", "tags", "substitutions"}
	if diff := cmp.Diff(want, inputs); diff != "" {
		t.Errorf("inputs named (-want +got):\n%s\nerrors:\n%v", diff, err)
	}
	if !strings.Contains(err.Error(), "image: image and config are mutually exclusive: image builds the directory's Dockerfile, config runs a cloudbuild.yaml") {
		t.Errorf("the fields a problem refers to are not named after the inputs:\n%v", err)
	}

	// A problem found by Prepare, naming other fields in its advice.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = cb.Prepare(cb.Request{Project: "p-project", Dir: dir, Image: "gcr.io/p-project/api", ServiceAccount: "b@p-project.iam.gserviceaccount.com"})
	const msg = "service_account: Cloud Build needs a logs bucket of yours when the build runs as a service account: set logs_bucket (gs://BUCKET), or logging to CLOUD_LOGGING_ONLY or NONE"
	if got := namedAfterInputs(err); got == nil || got.Error() != msg {
		t.Errorf("Prepare(service account, default logs) = %v, want %q", got, msg)
	}
}

// TestEveryFieldIsAnInput checks the table names declared inputs only.
func TestEveryFieldIsAnInput(t *testing.T) {
	t.Parallel()
	var declared []string
	for _, i := range Command.Declare().Inputs() {
		declared = append(declared, i.Name)
	}
	for f, name := range inputOf {
		if !slices.Contains(declared, name) {
			t.Errorf("field %s is named after %q, which is no input of the action", f, name)
		}
	}
}

// TestBuildErrorNamesTheInputs checks the advice of a failed build names the input to change.
func TestBuildErrorNamesTheInputs(t *testing.T) {
	t.Parallel()
	err := namedAfterInputs(&cb.BuildError{BuildID: "b-1", Status: "TIMEOUT"})
	if got, want := err.Error(), "build b-1 finished with status TIMEOUT; raise the timeout input if the build needs longer"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	var be *cb.BuildError
	if !errors.As(err, &be) {
		t.Errorf("the *BuildError is lost: %v", err)
	}
}
