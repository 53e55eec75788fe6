package cloudbuild

import (
	"context"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"github.com/twittix/infra/pkg/gcp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Cancellation calls are brief: the process is killed about 10 s after the job is cancelled.
const (
	// cancelAttempts is how many times CancelBuild is sent at most.
	cancelAttempts = 3
	// cancelPause is the pause between two calls.
	cancelPause = 200 * time.Millisecond
)

// Cancel cancels the build and returns it as Cloud Build answered (CANCELLED). It is made for a
// job being cancelled: a call that fails transiently or hangs is sent again, briefly, while ctx
// (which should carry the deadline of the whole cancellation) allows; each call has a share of
// the cleanup budget (Options.CancelTimeout), so that one that hangs leaves time for another. A
// build already finished is left as it is; the error then is Cloud Build's FAILED_PRECONDITION.
func (c *Client) Cancel(ctx context.Context, b *cloudbuildpb.Build) (*cloudbuildpb.Build, error) {
	var err error
	for attempt := 1; ; attempt++ {
		var got *cloudbuildpb.Build
		callCtx, cancel := context.WithTimeout(ctx, c.cancelTimeout/cancelAttempts)
		got, err = c.builds.CancelBuild(callCtx, &cloudbuildpb.CancelBuildRequest{Name: b.Name, ProjectId: b.ProjectId, Id: b.Id})
		cancel()
		if err == nil {
			return got, nil
		}
		again := gcp.Retryable(err) || status.Code(err) == codes.DeadlineExceeded
		if !again || attempt >= cancelAttempts || ctx.Err() != nil {
			break
		}
		t := time.NewTimer(cancelPause)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
	return nil, fmt.Errorf("failed to cancel build %s: %w", b.Id, gcp.Explain(err))
}

// cancelAndReport cancels b because the job was cancelled, sending CancelBuild before anything
// else, and logs what Cloud Build confirmed. It returns the build as last seen; the error says
// when the build was not cancelled (it had finished) or when nothing could be confirmed.
func (c *Client) cancelAndReport(ctx context.Context, b *cloudbuildpb.Build) (*cloudbuildpb.Build, error) {
	start := time.Now()
	got, err := c.Cancel(ctx, b)
	if err == nil {
		c.log.Warnf("The job was cancelled: CancelBuild sent for build %s; Cloud Build confirmed it is %s (%s).",
			b.Id, got.Status, time.Since(start).Round(time.Millisecond))
		return got, nil
	}
	// It may have finished meanwhile, or the answer may have been lost: ask once.
	latest, gerr := c.builds.GetBuild(ctx, &cloudbuildpb.GetBuildRequest{Name: b.Name, ProjectId: b.ProjectId, Id: b.Id})
	switch {
	case gerr == nil && latest.Status == cloudbuildpb.Build_CANCELLED:
		c.log.Warnf("The job was cancelled: build %s is CANCELLED (confirmed by reading it after CancelBuild failed: %v).", b.Id, err)
		return latest, nil
	case gerr == nil && Terminal(latest.Status):
		c.log.Warnf("The job was cancelled: build %s had already finished with status %s; nothing to cancel.", b.Id, latest.Status)
		return latest, fmt.Errorf("build %s was not cancelled: it finished with status %s", b.Id, latest.Status)
	}
	c.log.Warnf("The job was cancelled, but the cancellation of build %s could not be confirmed within %s: %v",
		b.Id, time.Since(start).Round(time.Millisecond), err)
	return b, fmt.Errorf("%w; the build may still be running: cancel it at %s or with `gcloud builds cancel %s --region=%s --project=%s`",
		err, b.GetLogUrl(), b.Id, location(b), b.ProjectId)
}

// location is the region of a build from its name (projects/P/locations/L/builds/ID), else global.
func location(b *cloudbuildpb.Build) string {
	if parts := strings.Split(b.GetName(), "/"); len(parts) == 6 && parts[2] == "locations" {
		return parts[3]
	}
	return GlobalRegion
}
