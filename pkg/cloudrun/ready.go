package cloudrun

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/protobuf/proto"
)

// NotReadyError is a revision whose Ready condition is not true.
type NotReadyError struct {
	Revision string
	State    runpb.Condition_State
	Message  string
	LogURI   string
	// Waited is how long the revision was waited for, 0 when it was checked once.
	Waited time.Duration
}

func (e *NotReadyError) Error() string {
	msg := fmt.Sprintf("revision %s is not ready (%s)", e.Revision, stateName(e.State))
	if e.Waited > 0 {
		msg = fmt.Sprintf("revision %s did not become ready within %s (%s)", e.Revision, e.Waited.Round(time.Second), stateName(e.State))
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.LogURI != "" {
		msg += "; its logs: " + e.LogURI
	}
	return msg + "; a revision that is not ready is never given traffic"
}

func stateName(s runpb.Condition_State) string {
	switch s {
	case runpb.Condition_CONDITION_SUCCEEDED:
		return "ready"
	case runpb.Condition_CONDITION_FAILED:
		return "failed"
	case runpb.Condition_CONDITION_RECONCILING, runpb.Condition_CONDITION_PENDING:
		return "still deploying"
	}
	return "no Ready condition"
}

// readiness returns the state and message of the revision's own Ready condition.
func readiness(rev *runpb.Revision) (runpb.Condition_State, string) {
	for _, c := range rev.GetConditions() {
		if c.GetType() == "Ready" {
			return c.GetState(), c.GetMessage()
		}
	}
	return runpb.Condition_STATE_UNSPECIFIED, ""
}

// getRevision reads a revision of the service, explaining a missing one.
func (c *Client) getRevision(ctx context.Context, ref ServiceRef, short string) (*runpb.Revision, error) {
	rev, err := c.api.GetRevision(ctx, ref.RevisionName(short))
	if isNotFound(err) {
		return nil, fmt.Errorf("revision %s does not exist in service %s: check the name with `gcloud run revisions list --service %s --region %s`: %w", short, ref.Service, ref.Service, ref.Region, err)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read revision %s: %w", short, err)
	}
	return rev, nil
}

// waitReady polls the revision until its Ready condition is true (returned), failed or the ready
// timeout passes since start (a *NotReadyError).
func (c *Client) waitReady(ctx context.Context, ref ServiceRef, short string, start time.Time) (*runpb.Revision, error) {
	for {
		rev, err := c.getRevision(ctx, ref, short)
		if err != nil {
			return nil, err
		}
		state, msg := readiness(rev)
		waited := c.now().Sub(start)
		switch {
		case state == runpb.Condition_CONDITION_SUCCEEDED:
			return rev, nil
		case state == runpb.Condition_CONDITION_FAILED:
			return rev, &NotReadyError{Revision: short, State: state, Message: msg, LogURI: rev.GetLogUri()}
		case waited >= c.readyTimeout:
			return rev, &NotReadyError{Revision: short, State: state, Message: msg, LogURI: rev.GetLogUri(), Waited: waited}
		}
		c.progress.Report("ready/"+short, "revision %s: %s %s (%s)", short, stateName(state), msg, waited.Truncate(progressEvery))
		if err := sleep(ctx, min(c.poll, c.readyTimeout-waited)); err != nil {
			return nil, fmt.Errorf("stopped waiting for revision %s: %w", short, err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func cloneService(svc *runpb.Service) *runpb.Service {
	return proto.Clone(svc).(*runpb.Service)
}
