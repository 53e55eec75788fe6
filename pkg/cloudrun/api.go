package cloudrun

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	run "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/twittix/infra/pkg/gcp"
	"github.com/twittix/infra/pkg/logging"
)

// API is the part of the Cloud Run Admin API the package uses.
type API interface {
	// GetService reads a service by its full name.
	GetService(ctx context.Context, name string) (*runpb.Service, error)
	// UpdateService writes svc, refused by Cloud Run when svc.Etag is stale, and waits for the
	// update to complete; it returns the service as the completed operation reports it.
	UpdateService(ctx context.Context, svc *runpb.Service) (*runpb.Service, error)
	// GetRevision reads a revision by its full name.
	GetRevision(ctx context.Context, name string) (*runpb.Revision, error)
}

// APIOptions tunes NewAPI.
type APIOptions struct {
	// Retry is the policy for transient errors (UNAVAILABLE, RESOURCE_EXHAUSTED); the zero value
	// means gcp.DefaultRetry. Updates are retried too: the etag makes a repeated write safe.
	Retry gcp.RetryPolicy
	// PollInterval is the longest delay between two polls of an operation (default 1s); the first
	// polls come sooner.
	PollInterval time.Duration
	// Log receives progress lines while an operation runs (default: none).
	Log logging.Logger
}

// NewAPI returns the API backed by the Cloud Run clients.
func NewAPI(services *run.ServicesClient, revisions *run.RevisionsClient, o APIOptions) API {
	if o.Retry.Attempts == 0 {
		o.Retry = gcp.DefaultRetry
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Log == nil {
		o.Log = logging.Discard
	}
	return &runAPI{services: services, revisions: revisions, o: o, progress: logging.NewProgress(o.Log, progressEvery)}
}

type runAPI struct {
	services  *run.ServicesClient
	revisions *run.RevisionsClient
	o         APIOptions
	progress  *logging.Progress
}

// progressEvery is how often a wait prints a line when nothing changes.
const progressEvery = 15 * time.Second

// noRetry turns off the client library's own retries: retry does it, with one policy.
var noRetry = gax.WithRetry(func() gax.Retryer { return nil })

func (a *runAPI) retry(ctx context.Context, fn func(ctx context.Context) error) error {
	return gcp.Retry(ctx, a.o.Retry, fn)
}

func (a *runAPI) GetService(ctx context.Context, name string) (*runpb.Service, error) {
	var svc *runpb.Service
	err := a.retry(ctx, func(ctx context.Context) (err error) {
		svc, err = a.services.GetService(ctx, &runpb.GetServiceRequest{Name: name}, noRetry)
		return err
	})
	return svc, gcp.Explain(err)
}

func (a *runAPI) GetRevision(ctx context.Context, name string) (*runpb.Revision, error) {
	var rev *runpb.Revision
	err := a.retry(ctx, func(ctx context.Context) (err error) {
		rev, err = a.revisions.GetRevision(ctx, &runpb.GetRevisionRequest{Name: name}, noRetry)
		return err
	})
	return rev, gcp.Explain(err)
}

func (a *runAPI) UpdateService(ctx context.Context, svc *runpb.Service) (*runpb.Service, error) {
	var op *run.UpdateServiceOperation
	err := a.retry(ctx, func(ctx context.Context) (err error) {
		op, err = a.services.UpdateService(ctx, &runpb.UpdateServiceRequest{Service: svc}, noRetry)
		return err
	})
	if err != nil {
		return nil, gcp.Explain(err)
	}
	start := time.Now()
	// Traffic changes often complete within a second: poll soon, then back off to PollInterval.
	// An operation that is done already (its result came with the answer) is not polled.
	wait := min(100*time.Millisecond, a.o.PollInterval)
	for {
		if !op.Done() {
			// The elapsed time is shown in steps of the progress period, so that the line is
			// printed once per period rather than at every poll.
			a.progress.Report(op.Name(), "waiting for Cloud Run to apply the change to %s (%s)", shortName(svc.GetName()), time.Since(start).Truncate(progressEvery))
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, &PendingError{Operation: op.Name(), Err: ctx.Err()}
			case <-t.C:
			}
			wait = min(2*wait, a.o.PollInterval)
		}
		var (
			done  *runpb.Service
			opErr error
		)
		err := a.retry(ctx, func(ctx context.Context) error {
			svc, err := op.Poll(ctx, noRetry)
			if op.Done() {
				done, opErr = svc, err // the operation's own result is not retried
				return nil
			}
			return err
		})
		if err != nil && stopped(ctx, err) {
			return nil, &PendingError{Operation: op.Name(), Err: err}
		}
		if err != nil {
			return nil, fmt.Errorf("failed to poll operation %s: %w", op.Name(), gcp.Explain(err))
		}
		if op.Done() {
			if opErr != nil {
				return nil, &OperationError{Operation: op.Name(), Err: opErr}
			}
			return done, nil
		}
	}
}

// PendingError is an update Cloud Run accepted but which was not seen to complete: the wait for
// it stopped when the context ended. The service's spec is the one written; Cloud Run may still
// be applying it.
type PendingError struct {
	// Operation is the long-running operation of the update, when known.
	Operation string
	Err       error
}

func (e *PendingError) Error() string {
	if e.Operation == "" {
		return fmt.Sprintf("cloud run accepted the update but was still applying it when the wait stopped: %v", e.Err)
	}
	return fmt.Sprintf("cloud run accepted the update but was still applying it (operation %s) when the wait stopped: %v", e.Operation, e.Err)
}

func (e *PendingError) Unwrap() error { return e.Err }

// OperationError is a long-running update that completed with an error.
type OperationError struct {
	Operation string
	Err       error
}

func (e *OperationError) Error() string {
	return fmt.Sprintf("cloud run operation %s failed: %v", e.Operation, e.Err)
}

func (e *OperationError) Unwrap() error { return e.Err }

// isConflict reports whether err is Cloud Run refusing a write planned from a stale etag.
func isConflict(err error) bool {
	var opErr *OperationError
	if errors.As(err, &opErr) {
		return false
	}
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	return st.Code() == codes.Aborted ||
		(st.Code() == codes.FailedPrecondition && strings.Contains(strings.ToLower(st.Message()), "etag"))
}

// stopped reports whether err ended a call because ctx ended; gRPC may report the deadline
// (DEADLINE_EXCEEDED) a moment before ctx itself expires.
func stopped(ctx context.Context, err error) bool {
	c := status.Code(err)
	return ctx.Err() != nil || c == codes.DeadlineExceeded || c == codes.Canceled
}

func isNotFound(err error) bool {
	return status.Code(err) == codes.NotFound
}

func shortName(full string) string { return full[strings.LastIndex(full, "/")+1:] }
