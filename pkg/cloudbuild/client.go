package cloudbuild

import (
	"context"
	"time"

	cbapi "cloud.google.com/go/cloudbuild/apiv1/v2"
	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"cloud.google.com/go/storage"
	"github.com/twittix/infra/pkg/cloudbuild/source"
	"github.com/twittix/infra/pkg/gcp"
	"github.com/twittix/infra/pkg/logging"
)

// Options tune a Client; the zero value is fine.
type Options struct {
	// Logger receives the progress and the build log; logging.Discard when nil.
	Logger logging.Logger
	// Retry is the policy for transient API errors; gcp.DefaultRetry when nil.
	Retry *gcp.RetryPolicy
	// Pack tunes the compression of the source.
	Pack source.PackOptions
	// LogPoll is how often the log object is read while the build runs (default 250ms, so a line
	// shows within a second of being written); StatusPoll how often the build is read (default 1s).
	LogPoll, StatusPoll time.Duration
	// CancelTimeout is the cleanup budget: it bounds the whole cancellation of a build once the
	// job is cancelled, its CancelBuild calls included (default DefaultCancelTimeout). A program
	// passes the budget its runtime has for cleaning up (action.CleanupBudget).
	CancelTimeout time.Duration
}

// DefaultCancelTimeout is the cleanup budget of a Client whose Options set none: the value of
// action.CleanupBudget. GitHub sends SIGINT, then SIGTERM 7.5 s later, then SIGKILL 2.5 s after
// that: CancelBuild must be sent, and its answer read, well within that.
const DefaultCancelTimeout = 6 * time.Second

// Client submits builds and follows them, through the Cloud Build and Cloud Storage clients it is
// given.
type Client struct {
	builds  *cbapi.Client
	storage *storage.Client
	log     logging.Logger
	retry   gcp.RetryPolicy

	pack                source.PackOptions
	logPoll, statusPoll time.Duration
	cancelTimeout       time.Duration
	now                 func() time.Time
}

// New returns a Client. The storage client must read through the JSON API
// (storage.WithJSONReads()), as gcloud reads logs.
func New(builds *cbapi.Client, st *storage.Client, opts Options) *Client {
	c := &Client{builds: builds, storage: st, log: opts.Logger, pack: opts.Pack, logPoll: opts.LogPoll,
		statusPoll: opts.StatusPoll, cancelTimeout: opts.CancelTimeout, now: time.Now, retry: gcp.DefaultRetry}
	if c.log == nil {
		c.log = logging.Discard
	}
	if opts.Retry != nil {
		c.retry = *opts.Retry
	}
	if c.logPoll <= 0 {
		c.logPoll = 250 * time.Millisecond
	}
	if c.statusPoll <= 0 {
		c.statusPoll = time.Second
	}
	if c.cancelTimeout <= 0 {
		c.cancelTimeout = DefaultCancelTimeout
	}
	if c.retry.OnRetry == nil {
		c.retry.OnRetry = func(attempt int, delay time.Duration, err error) {
			c.log.Warnf("transient error, retrying in %s (attempt %d): %v", delay.Round(10*time.Millisecond), attempt+1, err)
		}
	}
	return c
}

// get reads the build, retrying transient errors.
func (c *Client) get(ctx context.Context, b *cloudbuildpb.Build) (*cloudbuildpb.Build, error) {
	var got *cloudbuildpb.Build
	err := gcp.Retry(ctx, c.retry, func(ctx context.Context) error {
		var err error
		got, err = c.builds.GetBuild(ctx, &cloudbuildpb.GetBuildRequest{Name: b.Name, ProjectId: b.ProjectId, Id: b.Id})
		return err
	})
	if err != nil {
		return nil, gcp.Explain(err)
	}
	return got, nil
}

// cancelContext is the context a cancellation runs in once ctx is done: ctx's values, its own
// deadline (the cancellation budget).
func (c *Client) cancelContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), c.cancelTimeout)
}
