package cloudbuild

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	cbapi "cloud.google.com/go/cloudbuild/apiv1/v2"
	"cloud.google.com/go/storage"

	"github.com/twittix/infra/internal/gcpaction"
	"github.com/twittix/infra/pkg/action"
	cb "github.com/twittix/infra/pkg/cloudbuild"
	"github.com/twittix/infra/pkg/cloudbuild/subst"
	"github.com/twittix/infra/pkg/gcp"
)

// Command is the cloud-build action: `twittix-infra cloud-build`.
var Command = NewCommand(Options{})

// Options are the seams of the command, for tests; the zero value talks to Google Cloud.
type Options struct {
	// Endpoints and Insecure reach local fakes instead of Google Cloud (see gcp.Config).
	Endpoints map[gcp.Service]string
	Insecure  bool
	// Retry is the policy for transient errors (default gcp.DefaultRetry).
	Retry *gcp.RetryPolicy
	// LogPoll and StatusPoll are how often the log and the build are read (defaults 250ms, 1s).
	LogPoll, StatusPoll time.Duration
}

// NewCommand returns the cloud-build command with the given seams.
func NewCommand(deps Options) action.Command {
	return action.Command{
		Name:    "cloud-build",
		Summary: "Upload the workspace and run a Cloud Build build, streaming its log; outputs the image digests",
		Setup: func(in *action.Inputs) action.RunFunc {
			o := &options{}
			declare(in, o)
			return func(ctx context.Context, rt *action.Runtime) error { return execute(ctx, rt, o, deps) }
		},
	}
}

// request turns the inputs into a build request.
func (o *options) request(project string, gh subst.GitHub) cb.Request {
	region := o.region
	if region == cb.GlobalRegion {
		region = ""
	}
	return cb.Request{
		Project: project, Region: region, Dir: o.source, IgnoreFile: o.ignoreFile,
		Image: o.image, Config: o.config, Substitutions: o.subs, GitHub: gh,
		WorkerPool: o.workerPool, ServiceAccount: o.serviceAccount, MachineType: o.machineType,
		Timeout: o.timeout, LogsBucket: o.logsBucket, Logging: o.logging, Tags: o.tags,
		StagingDir: o.stagingDir, Async: o.async,
	}
}

// execute lists the files, or connects to Google Cloud, runs the build and reports it.
func execute(ctx context.Context, rt *action.Runtime, o *options, deps Options) error {
	if o.listFiles {
		return listFiles(rt, o)
	}
	if v := rt.Getenv(TestEndpointsEnv); v != "" && deps.Endpoints == nil {
		eps, err := testEndpoints(v)
		if err != nil {
			return err
		}
		rt.Warnf("%s is set: connecting to local fakes (%s, %s) without authentication", TestEndpointsEnv, eps[gcp.CloudBuild], eps[gcp.Storage])
		deps.Endpoints, deps.Insecure = eps, true
	}
	sess, err := gcpaction.Connect(ctx, rt, o.project, o.credentialsJSON, gcpaction.Seams{Endpoints: deps.Endpoints, Insecure: deps.Insecure})
	if err != nil {
		return err
	}
	gh := rt.GitHub()
	req := o.request(sess.Project, subst.GitHub{SHA: gh.SHA, RefName: gh.RefName, RefType: gh.RefType, HeadRef: gh.HeadRef, Repository: gh.Repository})
	req.RunID, req.RunAttempt = gh.RunID, gh.RunAttempt
	valid, err := req.Check()
	if err != nil {
		return namedAfterInputs(err)
	}
	rt.Infof("cloud-build: project %s (from %s), region %s%s", sess.Project, sess.ProjectSource, valid.Location(), gcpaction.As(sess))

	builds, err := cbapi.NewClient(ctx, sess.ClientOptions(gcp.CloudBuild)...)
	if err != nil {
		return fmt.Errorf("failed to create the Cloud Build client: %w", err)
	}
	defer builds.Close()
	store, err := storage.NewClient(ctx, append(sess.ClientOptions(gcp.Storage), storage.WithJSONReads())...)
	if err != nil {
		return fmt.Errorf("failed to create the Cloud Storage client: %w", err)
	}
	defer store.Close()
	client := cb.New(builds, store, cb.Options{Logger: rt, Retry: deps.Retry, LogPoll: deps.LogPoll, StatusPoll: deps.StatusPoll,
		CancelTimeout: action.CleanupBudget})

	res, err := client.RunValid(ctx, valid)
	err = namedAfterInputs(err)
	if res == nil {
		return err
	}
	return errors.Join(err, report(rt, o, res, err))
}

// report writes the outputs and the step summary of a build that was created.
func report(rt *action.Runtime, o *options, res *cb.Result, runErr error) error {
	outputs := []struct{ name, value string }{
		{"build_id", res.BuildID},
		{"status", res.Status},
		{"log_url", res.LogURL},
		{"images", res.ImagesJSON()},
		{"digest", res.Digest()},
		{"duration", strconv.Itoa(int(res.Duration.Round(time.Second).Seconds()))},
	}
	var errs []error
	for _, out := range outputs {
		if err := rt.SetOutput(out.name, out.value); err != nil {
			errs = append(errs, err)
		}
	}
	if err := rt.WriteSummary(summary(o, res, runErr)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// listFiles prints what would be uploaded, as `gcloud builds submit` would upload it (which
// differs from `gcloud meta list-files-for-upload` for links to directories and broken links).
func listFiles(rt *action.Runtime, o *options) error {
	l, err := cb.ListFiles(o.request("", subst.GitHub{}))
	if err != nil {
		return namedAfterInputs(err)
	}
	for _, p := range l.Paths() {
		rt.Infof("%s", p)
	}
	rt.Infof("%d file(s), %d directories, %d bytes before compression; %d path(s) ignored (rules: %s)",
		len(l.Files), len(l.Dirs), l.Bytes, l.Ignored, l.Rules.Source)
	for _, s := range l.Skipped {
		rt.Infof("not uploaded: %s (%s)", s.Path, s.Reason)
	}
	return nil
}
