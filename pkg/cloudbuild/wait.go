package cloudbuild

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"github.com/twittix/infra/pkg/logging"
)

// Terminal reports whether a build status is final.
func Terminal(s cloudbuildpb.Build_Status) bool {
	switch s {
	case cloudbuildpb.Build_STATUS_UNKNOWN, cloudbuildpb.Build_PENDING, cloudbuildpb.Build_QUEUED, cloudbuildpb.Build_WORKING:
		return false
	}
	return true
}

// maxStatusErrors is how many polls of the build in a row may fail before Wait gives up.
const maxStatusErrors = 5

// Wait follows the build until it reaches a terminal status, streaming its log from the logs bucket
// into the logger meanwhile (or saying where the log is when the build logs to Cloud Logging only).
// When ctx is done first (the job is cancelled), the build is cancelled before Wait returns. The
// result describes the final build; the error is a *BuildError when the build did not succeed.
func (c *Client) Wait(ctx context.Context, b *cloudbuildpb.Build) (*Result, error) {
	tail := newTailer(c.storage, b, c.log)
	switch {
	case !logsToStorage(b):
		c.log.Infof("The build logs to Cloud Logging only (%s): its log is not streamed here; see %s. Waiting for the build.",
			b.GetOptions().GetLogging(), b.GetLogUrl())
	case tail.obj == nil:
		c.log.Infof("The build has no logs bucket yet; waiting for it to stream the log.")
	}
	progress := logging.NewProgress(c.log, time.Minute)
	logTick := time.NewTicker(c.logPoll)
	defer logTick.Stop()
	statusTick := time.NewTicker(c.statusPoll)
	defer statusTick.Stop()
	lastStatus := b.Status
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return c.cancelled(ctx, b, tail)
		case <-logTick.C:
			if err := tail.poll(ctx); err != nil && ctx.Err() == nil {
				tail.flush()
				c.log.Warnf("%v; the build goes on, see %s", err, b.GetLogUrl())
				tail.obj, tail.failed = nil, true
			}
		case <-statusTick.C:
			got, err := c.get(ctx, b)
			if err != nil {
				if ctx.Err() != nil {
					continue // the cancellation case handles it
				}
				if failures++; failures >= maxStatusErrors {
					tail.flush()
					return nil, fmt.Errorf("failed to follow build %s (%s): %w", b.Id, b.GetLogUrl(), err)
				}
				continue
			}
			failures = 0
			b = got
			if tail.obj == nil && !tail.failed && tail.lines == 0 && logsToStorage(b) && b.GetLogsBucket() != "" {
				tail = newTailer(c.storage, b, c.log) // the logs bucket is known now
			}
			if b.Status != lastStatus && !Terminal(b.Status) {
				c.log.Infof("Build %s is %s", b.Id, b.Status)
				lastStatus = b.Status
			}
			if Terminal(b.Status) {
				return c.finish(ctx, b, tail)
			}
			if tail.obj == nil || tail.lines == 0 {
				progress.Report("build", "Build %s is %s%s", b.Id, b.Status, runningStep(b))
			}
		}
	}
}

// logsToStorage reports whether the build writes its log to a Cloud Storage bucket (every logging
// mode but Cloud Logging only and none).
func logsToStorage(b *cloudbuildpb.Build) bool {
	switch mode := b.GetOptions().GetLogging(); {
	case mode == cloudbuildpb.BuildOptions_CLOUD_LOGGING_ONLY, mode == cloudbuildpb.BuildOptions_NONE,
		mode.String() == "STACKDRIVER_ONLY": // the deprecated name of CLOUD_LOGGING_ONLY
		return false
	}
	return true
}

// runningStep describes the step in progress, for progress lines.
func runningStep(b *cloudbuildpb.Build) string {
	for i, s := range b.Steps {
		if s.Status == cloudbuildpb.Build_WORKING {
			return ", running " + StepLabel(i, s)
		}
	}
	return ""
}

// finish reads the end of the log (Cloud Build finishes writing it before the build is marked
// done) and makes the result.
func (c *Client) finish(ctx context.Context, b *cloudbuildpb.Build, tail *tailer) (*Result, error) {
	if err := tail.poll(ctx); err != nil {
		c.log.Warnf("%v", err)
	}
	tail.flush()
	res := newResult(b, tail)
	c.log.Infof("Build %s finished with status %s in %s", b.Id, b.Status, res.Duration.Round(time.Second))
	if b.Status != cloudbuildpb.Build_SUCCESS {
		return res, res.failure()
	}
	return res, nil
}

// cancelled cancels the build after ctx is done (the job is cancelled), within the cancellation
// budget: CancelBuild first, then what is left of the log, and reports what became of it.
func (c *Client) cancelled(ctx context.Context, b *cloudbuildpb.Build, tail *tailer) (*Result, error) {
	cctx, cancel := c.cancelContext(ctx)
	defer cancel()
	got, err := c.cancelAndReport(cctx, b)
	// The last lines of the log, if the budget allows.
	lctx, lcancel := context.WithTimeout(cctx, time.Second)
	_ = tail.poll(lctx)
	lcancel()
	tail.flush()
	res := newResult(got, tail)
	if err != nil {
		return res, err
	}
	return res, fmt.Errorf("build %s cancelled because the job was cancelled (%v)", got.Id, context.Cause(ctx))
}
