package promote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	monitoring "cloud.google.com/go/monitoring/apiv3/v2"
	run "cloud.google.com/go/run/apiv2"

	"github.com/twittix/infra/internal/gcpaction"
	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/cloudrun"
	"github.com/twittix/infra/pkg/gcp"
)

// Command is the promote action: `twittix-infra promote`.
var Command = NewCommand(Options{})

// Options are the seams of the command, for tests; the zero value talks to Google Cloud.
type Options struct {
	// Endpoints and Insecure reach local fakes instead of Google Cloud (see gcp.Config).
	Endpoints map[gcp.Service]string
	Insecure  bool
	// Retry is the policy for transient errors (default gcp.DefaultRetry).
	Retry gcp.RetryPolicy
	// PollInterval is how often operations and revisions are polled (default 1s).
	PollInterval time.Duration
	// HTTPClient makes the probe's requests (default: a client with a 10s timeout).
	HTTPClient *http.Client
}

// NewCommand returns the promote command with the given seams.
func NewCommand(deps Options) action.Command {
	return action.Command{
		Name:    "promote",
		Summary: "Deploy a Cloud Run revision without traffic, shift traffic, run a gated canary or roll back",
		Setup: func(in *action.Inputs) action.RunFunc {
			o := &options{}
			declare(in, o)
			return func(ctx context.Context, rt *action.Runtime) error { return execute(ctx, rt, o, deps) }
		},
	}
}

// execute connects to Google Cloud, runs the mode and reports the result.
func execute(ctx context.Context, rt *action.Runtime, o *options, deps Options) error {
	// The commit's tag names the revision deploy creates. It is no default for the other modes:
	// run from a form in another repository, the commit is not the one deployed.
	if sha := rt.GitHub().SHA; o.mode == modeDeploy && o.tag == "" && len(sha) >= 7 {
		o.tag = "sha-" + strings.ToLower(sha[:7])
	}
	sess, err := gcpaction.Connect(ctx, rt, o.project, o.credentialsJSON, gcpaction.Seams{Endpoints: deps.Endpoints, Insecure: deps.Insecure})
	if err != nil {
		return err
	}
	ref := cloudrun.ServiceRef{Project: sess.Project, Region: o.region, Service: o.service}
	rt.Infof("%s: service %s in project %s (from %s), region %s%s", o.mode, ref.Service, ref.Project, sess.ProjectSource, ref.Region, gcpaction.As(sess))

	client, closeAll, err := newClient(ctx, rt, sess, o, deps)
	if err != nil {
		return err
	}
	defer closeAll()

	res, err := dispatch(ctx, client, ref, o)
	err = inputTerms(err)
	var werr error
	switch {
	case res != nil:
		werr = report(rt, o, res, err)
	case err != nil:
		werr = rt.WriteSummary(summary(o.mode, o.service, len(o.stepsPct), &cloudrun.Result{}, err, rt.Redact))
	}
	return errors.Join(err, werr)
}

// newClient builds the Cloud Run (and, for a metric gate, Monitoring) clients.
func newClient(ctx context.Context, rt *action.Runtime, sess *gcp.Session, o *options, deps Options) (*cloudrun.Client, func(), error) {
	var closers []func() error
	closeAll := func() {
		for _, c := range closers {
			_ = c()
		}
	}
	services, err := run.NewServicesClient(ctx, sess.ClientOptions(gcp.Run)...)
	if err != nil {
		return nil, closeAll, fmt.Errorf("failed to create the Cloud Run client: %w", err)
	}
	closers = append(closers, services.Close)
	revisions, err := run.NewRevisionsClient(ctx, sess.ClientOptions(gcp.Run)...)
	if err != nil {
		closeAll()
		return nil, func() {}, fmt.Errorf("failed to create the Cloud Run client: %w", err)
	}
	closers = append(closers, revisions.Close)
	poll := deps.PollInterval
	if poll <= 0 {
		poll = time.Second
	}
	opts := []cloudrun.Option{
		cloudrun.WithLogger(rt),
		cloudrun.WithPollInterval(poll),
		cloudrun.WithReadyTimeout(o.timeout),
		cloudrun.WithNote(runURL(rt)),
		cloudrun.WithCancelBudget(action.CleanupBudget),
	}
	if deps.HTTPClient != nil {
		opts = append(opts, cloudrun.WithHTTPClient(deps.HTTPClient))
	}
	if o.mode == modeCanary && o.metricGate() {
		mc, err := monitoring.NewMetricClient(ctx, sess.ClientOptions(gcp.Monitoring)...)
		if err != nil {
			closeAll()
			return nil, func() {}, fmt.Errorf("failed to create the Cloud Monitoring client: %w", err)
		}
		closers = append(closers, mc.Close)
		opts = append(opts, cloudrun.WithMetrics(cloudrun.NewMonitoringMetrics(mc, deps.Retry)))
	}
	api := cloudrun.NewAPI(services, revisions, cloudrun.APIOptions{Retry: deps.Retry, PollInterval: poll, Log: rt})
	return cloudrun.New(api, opts...), closeAll, nil
}

// runURL is the URL of the workflow run, recorded on the service with each change.
func runURL(rt *action.Runtime) string {
	if url := rt.RunURL(); url != "" {
		return url
	}
	return "twittix-infra (run locally)"
}

// dispatch runs the mode.
func dispatch(ctx context.Context, c *cloudrun.Client, ref cloudrun.ServiceRef, o *options) (*cloudrun.Result, error) {
	switch o.mode {
	case modeDeploy:
		if o.tag == "" {
			return nil, &action.InputError{Input: "tag", Problem: "is required outside GitHub Actions (where it defaults to sha-<short commit SHA>); e.g. --tag sha-1a2b3c4"}
		}
		return c.Deploy(ctx, cloudrun.DeployRequest{
			Service: ref, Image: o.image, Container: o.container, Env: o.env, Secrets: o.secretEnv,
			Labels: o.labelMap, RevisionSuffix: o.revisionSuffix, Tag: o.tag,
		})
	case modeShift:
		if o.split == nil {
			return nil, missingTo(o.mode)
		}
		return c.Shift(ctx, cloudrun.ShiftRequest{Service: ref, To: o.split})
	case modeCanary:
		if o.target == nil {
			return nil, missingTo(o.mode)
		}
		req := cloudrun.CanaryRequest{Service: ref, To: *o.target, Steps: o.stepsPct, Bake: o.bakes, Gate: cloudrun.Gate{Interval: o.gateInterval}}
		if o.probePath != "" {
			req.Gate.Probe = &cloudrun.Probe{Path: o.probePath, Status: o.probeStatus}
		}
		if o.metricGate() {
			req.Gate.Metrics = &cloudrun.MetricGate{Max5xxRatio: 1, MaxP99: o.maxP99, MinRequests: int64(o.minRequests), InconclusivePasses: o.inconclusivePasses}
			if o.max5xxPercent != "" {
				req.Gate.Metrics.Max5xxRatio = o.max5xx
			}
		}
		return c.Canary(ctx, req)
	case modeRollback:
		req := cloudrun.RollbackRequest{Service: ref}
		if o.target != nil {
			a := *o.target
			req.To = &a
		}
		return c.Rollback(ctx, req)
	}
	return nil, &action.InputError{Input: "mode", Problem: fmt.Sprintf("%q is not a mode; use deploy, shift, canary or rollback", o.mode)}
}

// missingTo is the error of a shift or canary without to: refused by check, kept for callers that
// skip it.
func missingTo(mode string) error {
	return &action.InputError{Input: "to", Problem: fmt.Sprintf("is required when mode is %s: a revision name, a tag (e.g. sha-1a2b3c4) or LATEST", mode)}
}

// report writes the outputs and the step summary of a result.
func report(rt *action.Runtime, o *options, res *cloudrun.Result, runErr error) error {
	now, err := json.Marshal(res.Traffic)
	if err != nil {
		return err
	}
	before, err := json.Marshal(res.PreviousTraffic)
	if err != nil {
		return err
	}
	var errs []error
	for _, kv := range [][2]string{
		{"revision", res.Revision}, {"tag", res.Tag}, {"url", res.URL}, {"tag_url", res.TagURL},
		{"traffic", string(now)}, {"previous_traffic", string(before)},
	} {
		errs = append(errs, rt.SetOutput(kv[0], kv[1]))
	}
	errs = append(errs, rt.WriteSummary(summary(o.mode, o.service, len(o.stepsPct), res, runErr, rt.Redact)))
	return errors.Join(errs...)
}
