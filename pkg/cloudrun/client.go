package cloudrun

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"cloud.google.com/go/run/apiv2/runpb"

	"github.com/twittix/infra/pkg/cloudrun/traffic"
	"github.com/twittix/infra/pkg/gcp"
	"github.com/twittix/infra/pkg/logging"
)

// Annotations this package keeps on the services it changes.
const (
	// AnnotationPreviousTraffic holds the split (JSON, see traffic.Encode) in place before the last
	// promotion (shift, canary or rollback); Rollback restores it.
	AnnotationPreviousTraffic = "twittix-infra/previous-traffic"
	// AnnotationChange says which change of this package set the current split, who ran it, and
	// the change's own random id in brackets, e.g. "shift sha-1a2b3c4=10 by https://… [3f9a0c1d2e4b]".
	// The id tells a write whose answer was lost, found applied when it is retried, from someone
	// else's change.
	AnnotationChange = "twittix-infra/last-change"
)

// ServiceRef names a Cloud Run service.
type ServiceRef struct {
	Project string
	Region  string
	Service string
}

// Name returns the full resource name of the service.
func (r ServiceRef) Name() string {
	return fmt.Sprintf("projects/%s/locations/%s/services/%s", r.Project, r.Region, r.Service)
}

// RevisionName returns the full resource name of a revision of the service.
func (r ServiceRef) RevisionName(short string) string {
	return r.Name() + "/revisions/" + short
}

// Validate checks the three parts of the name.
func (r ServiceRef) Validate() error {
	var errs []error
	if err := gcp.ValidateProjectID(r.Project); err != nil {
		errs = append(errs, err)
	}
	if r.Region == "" {
		errs = append(errs, errors.New("the region is empty: name the region of the service, e.g. europe-west1"))
	}
	if !traffic.ValidName(r.Service) || len(r.Service) > 49 {
		errs = append(errs, fmt.Errorf("service name %q is invalid: Cloud Run service names are lower-case letters, digits and hyphens, start with a letter and have at most 49 characters", r.Service))
	}
	return errors.Join(errs...)
}

// Client runs deploys, shifts, canaries and rollbacks against one Cloud Run API.
type Client struct {
	api          API
	metrics      Metrics
	http         *http.Client
	log          logging.Logger
	progress     *logging.Progress
	poll         time.Duration
	readyTimeout time.Duration
	cancelBudget time.Duration
	note         string
	now          func() time.Time
}

// Option configures a Client.
type Option func(*Client)

// WithLogger sends progress to log (default: discarded).
func WithLogger(log logging.Logger) Option {
	return func(c *Client) { c.log = log }
}

// WithMetrics sets the source of the metric gate of canaries.
func WithMetrics(m Metrics) Option { return func(c *Client) { c.metrics = m } }

// WithHTTPClient sets the client of the HTTP probe (default: a client with a 10s timeout).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithPollInterval sets how often a revision is polled while waiting for it to become Ready
// (default 2s).
func WithPollInterval(d time.Duration) Option { return func(c *Client) { c.poll = d } }

// WithReadyTimeout bounds the wait for a new revision to become Ready (default 10m).
func WithReadyTimeout(d time.Duration) Option { return func(c *Client) { c.readyTimeout = d } }

// DefaultCancelBudget is how long a cancelled canary has to put the traffic back when no
// WithCancelBudget sets it: the value of action.CleanupBudget. A cancelled GitHub Actions job gets
// SIGINT, SIGTERM 7.5 seconds later and SIGKILL 2.5 seconds after that: the rollback must be
// written in the first seconds, leaving time to report.
const DefaultCancelBudget = 6 * time.Second

// WithCancelBudget sets the cleanup budget: how long a cancelled canary has to put the traffic
// back (default DefaultCancelBudget). A program passes the budget its runtime has for cleaning
// up (action.CleanupBudget).
func WithCancelBudget(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.cancelBudget = d
		}
	}
}

// WithNote sets who or what makes the changes (e.g. the URL of the workflow run), recorded in
// AnnotationChange.
func WithNote(note string) Option { return func(c *Client) { c.note = note } }

// New returns a Client of api.
func New(api API, opts ...Option) *Client {
	c := &Client{
		api:          api,
		http:         &http.Client{Timeout: 10 * time.Second},
		log:          logging.Discard,
		poll:         2 * time.Second,
		readyTimeout: 10 * time.Minute,
		cancelBudget: DefaultCancelBudget,
		now:          time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	c.progress = logging.NewProgress(c.log, progressEvery)
	return c
}

// Result is what a deploy, shift, canary or rollback did.
type Result struct {
	// Service is the full name of the service; URL its main URL.
	Service string
	URL     string
	// Revision is the revision deployed, promoted or (for a rollback to one revision) restored.
	Revision string
	// Tag and TagURL are the revision's tag and the URL that reaches it, when it has one.
	Tag    string
	TagURL string
	// Traffic and PreviousTraffic are the split after and before the change.
	Traffic         []traffic.Entry
	PreviousTraffic []traffic.Entry
	// Changed is false when the service was already as asked and nothing was written.
	Changed bool
	// Steps are the steps of a canary, in order, the failed one last.
	Steps []Step
	// RolledBack is true when a failed canary put the previous split back.
	RolledBack bool
	// MetricGate is the metric thresholds a canary's steps were checked against, nil without.
	MetricGate *MetricGate
}

// NotFoundError is a service that is not where its ServiceRef says: a revision is deployed to,
// and traffic moved in, an existing service only.
type NotFoundError struct {
	Ref ServiceRef
	Err error // Cloud Run's NOT_FOUND
}

// Where says which service was not found where.
func (e *NotFoundError) Where() string {
	return fmt.Sprintf("service %s not found in project %s, region %s", e.Ref.Service, e.Ref.Project, e.Ref.Region)
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s: check the service's name, project and region (revisions are deployed to an existing service; create it once with `gcloud run deploy`): %v", e.Where(), e.Err)
}

func (e *NotFoundError) Unwrap() error { return e.Err }

// getService reads the service, explaining a missing one.
func (c *Client) getService(ctx context.Context, ref ServiceRef) (*runpb.Service, error) {
	svc, err := c.api.GetService(ctx, ref.Name())
	if isNotFound(err) {
		return nil, &NotFoundError{Ref: ref, Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read service %s: %w", ref.Service, err)
	}
	return svc, nil
}

// planner returns the service to write given the service just read (reread is true after a
// concurrent change), or nil when the service is already as wanted.
type planner func(svc *runpb.Service, reread bool) (*runpb.Service, error)

// ConflictError is a change refused because the service kept changing under it.
type ConflictError struct {
	Service  string
	Attempts int
	Err      error
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("service %s was changed by someone else %d times while this action tried to update it; nothing was overwritten: wait for the other change (another workflow run, a gcloud command) to finish and run the job again (%v)",
		e.Service, e.Attempts, e.Err)
}

func (e *ConflictError) Unwrap() error { return e.Err }

// writeAttempts is how many times a write is planned when the service keeps changing under it.
const writeAttempts = 3

// write plans a change from svc and writes it with svc's etag. When Cloud Run refuses the etag,
// the service is read again: if it carries this very write (its answer was lost and the retry
// refused), the write is done; otherwise plan is asked again (it may refuse). It returns the
// service the written plan was made from and the service after the change (the same when
// nothing was written).
func (c *Client) write(ctx context.Context, ref ServiceRef, svc *runpb.Service, plan planner) (before, after *runpb.Service, err error) {
	for attempt := 1; ; attempt++ {
		next, err := plan(svc, attempt > 1)
		if err != nil {
			return svc, nil, err
		}
		if next == nil {
			return svc, svc, nil
		}
		next.Etag = svc.GetEtag()
		after, err := c.api.UpdateService(ctx, next)
		if err == nil {
			return svc, after, nil
		}
		if !isConflict(err) {
			return svc, nil, fmt.Errorf("failed to update service %s: %w", ref.Service, err)
		}
		current, rerr := c.getService(ctx, ref)
		if rerr != nil {
			return svc, nil, errors.Join(fmt.Errorf("failed to update service %s: %w", ref.Service, err), rerr)
		}
		if applied(svc, next, current) {
			c.log.Warnf("the answer to the update of service %s was lost, but the update was applied (the service carries its change record %q): carrying on", ref.Service, current.GetAnnotations()[AnnotationChange])
			after, err := c.settled(ctx, ref, current)
			return svc, after, err
		}
		if attempt >= writeAttempts {
			return svc, nil, &ConflictError{Service: ref.Service, Attempts: attempt, Err: err}
		}
		c.log.Warnf("service %s changed since it was read (its etag %s is stale): re-planning the change on its current state", ref.Service, svc.GetEtag())
		svc = current
	}
}

// applied reports whether current shows the write of written, planned from svc: written carries
// a change record of its own (a new id) and current has that record and written's traffic.
func applied(svc, written, current *runpb.Service) bool {
	record := written.GetAnnotations()[AnnotationChange]
	return record != "" && record != svc.GetAnnotations()[AnnotationChange] &&
		current.GetAnnotations()[AnnotationChange] == record &&
		traffic.Equal(current.GetTraffic(), written.GetTraffic())
}

// settled waits until Cloud Run has finished applying the change svc shows (it is no longer
// reconciling) and returns the service then. When ctx ends first, the error is a *PendingError.
func (c *Client) settled(ctx context.Context, ref ServiceRef, svc *runpb.Service) (*runpb.Service, error) {
	for svc.GetReconciling() {
		c.progress.Report("settle", "waiting for Cloud Run to apply the change to %s", ref.Service)
		if err := sleep(ctx, c.poll); err != nil {
			return svc, &PendingError{Err: err}
		}
		next, err := c.getService(ctx, ref)
		if err != nil {
			if stopped(ctx, err) {
				return svc, &PendingError{Err: err}
			}
			return svc, err
		}
		svc = next
	}
	return svc, nil
}

// annotate returns the annotations of svc with the previous split and the change recorded.
func (c *Client) annotate(svc *runpb.Service, previous string, change string) map[string]string {
	out := map[string]string{}
	for k, v := range svc.GetAnnotations() {
		out[k] = v
	}
	out[AnnotationPreviousTraffic] = previous
	if c.note != "" {
		change += " by " + c.note
	}
	out[AnnotationChange] = change + " [" + changeID() + "]"
	return out
}

// changeID returns a new random id for a change record.
func changeID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// entries returns the split of svc as Cloud Run reports it (resolved, with tag URLs), or as
// written when the service has no status yet.
func entries(svc *runpb.Service) []traffic.Entry {
	if st := svc.GetTrafficStatuses(); len(st) > 0 {
		return traffic.StatusEntries(st)
	}
	return traffic.Entries(traffic.Normalize(svc.GetTraffic()), shortName(svc.GetLatestReadyRevision()))
}

// tagURL returns the URL of tag in svc's status, or "".
func tagURL(svc *runpb.Service, tag string) string {
	for _, st := range svc.GetTrafficStatuses() {
		if tag != "" && st.GetTag() == tag {
			return st.GetUri()
		}
	}
	return ""
}

// tagOf returns the first tag of revision in svc's traffic, or "".
func tagOf(svc *runpb.Service, revision string) string {
	for _, t := range svc.GetTraffic() {
		if t.GetTag() != "" && traffic.Key(t) == revision {
			return t.GetTag()
		}
	}
	return ""
}

func result(before, after *runpb.Service) *Result {
	r := &Result{Service: after.GetName(), URL: after.GetUri(), Traffic: entries(after), PreviousTraffic: entries(before)}
	r.Changed = before.GetEtag() != after.GetEtag()
	return r
}
