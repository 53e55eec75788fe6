package cloudrun

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"cloud.google.com/go/run/apiv2/runpb"

	"github.com/twittix/infra/pkg/cloudrun/traffic"
)

// ShiftRequest asks for traffic percents, as `gcloud run services update-traffic` takes them.
type ShiftRequest struct {
	Service ServiceRef
	// To assigns percents to revisions, tags or LATEST (see traffic.ParseSpec); the other serving
	// targets share the rest in proportion.
	To []traffic.Assignment
}

// Shift sets the traffic of the service to the percents asked, after checking that every
// revision given traffic is Ready. The split it replaces is recorded for Rollback. A shift that
// changes nothing writes nothing.
func (c *Client) Shift(ctx context.Context, req ShiftRequest) (*Result, error) {
	if err := req.Service.Validate(); err != nil {
		return nil, err
	}
	if len(req.To) == 0 {
		return nil, errors.New("nothing to shift: name a revision, tag or LATEST and a percent")
	}
	ref := req.Service
	svc, err := c.getService(ctx, ref)
	if err != nil {
		return nil, err
	}
	known := map[string]*runpb.Revision{}
	keys, err := c.resolveAll(ctx, ref, svc, req.To, known)
	if err != nil {
		return nil, err
	}
	for i, a := range req.To {
		if a.Percent > 0 {
			if err := c.requireServable(ctx, ref, svc, keys[i], known); err != nil {
				return nil, err
			}
		}
	}
	change := "shift " + spec(req.To)
	end := c.log.Group(fmt.Sprintf("Shift traffic of %s: %s", ref.Service, spec(req.To)))
	defer end()
	plan := func(svc *runpb.Service, reread bool) (*runpb.Service, error) {
		if reread {
			again, err := c.resolveAll(ctx, ref, svc, req.To, known)
			if err != nil {
				return nil, fmt.Errorf("cannot re-plan the shift after a concurrent change: %w", err)
			}
			if !slices.Equal(again, keys) {
				return nil, &RefusedError{Reason: fmt.Sprintf("refusing to shift: while this action ran, someone else moved the targets (%s now name %s instead of %s); check the service and run the job again",
					spec(req.To), strings.Join(again, ", "), strings.Join(keys, ", "))}
			}
		}
		return c.planTraffic(svc, req.To, keysOf(known), change, "")
	}
	before, after, err := c.write(ctx, ref, svc, plan)
	if err != nil {
		return nil, err
	}
	r := result(before, after)
	if main := keys[0]; main != traffic.Latest {
		r.Revision, r.Tag = main, tagOf(after, main)
		r.TagURL = tagURL(after, r.Tag)
	} else {
		r.Revision = shortName(after.GetLatestReadyRevision())
	}
	if !r.Changed {
		c.log.Infof("the traffic of %s is already as asked: nothing to change", ref.Service)
	}
	return r, nil
}

// planTraffic returns svc with the percents of assign applied and the replaced split recorded
// (previous, when not empty, is recorded instead), or nil when the traffic would not change.
func (c *Client) planTraffic(svc *runpb.Service, assign []traffic.Assignment, known []string, change, previous string) (*runpb.Service, error) {
	planned, err := traffic.Plan(svc.GetTraffic(), assign, known)
	if err != nil {
		return nil, err
	}
	return c.withTraffic(svc, planned, change, previous), nil
}

// withTraffic returns svc with the split planned and the replaced split recorded (previous, when
// not empty, is recorded instead), or nil when planned is what svc already has.
func (c *Client) withTraffic(svc *runpb.Service, planned []*runpb.TrafficTarget, change, previous string) *runpb.Service {
	if traffic.Equal(svc.GetTraffic(), planned) {
		return nil
	}
	if previous == "" {
		previous = traffic.Encode(svc.GetTraffic())
	}
	next := cloneService(svc)
	next.Traffic = planned
	next.Annotations = c.annotate(svc, previous, change)
	return next
}

// resolveAll returns the key (revision name or LATEST) each assignment names in svc. Names that
// are not in the service's traffic are looked up as revisions and added to known.
func (c *Client) resolveAll(ctx context.Context, ref ServiceRef, svc *runpb.Service, assign []traffic.Assignment, known map[string]*runpb.Revision) ([]string, error) {
	keys := make([]string, len(assign))
	var errs []error
	for i, a := range assign {
		key, err := traffic.Resolve(traffic.Normalize(svc.GetTraffic()), a, keysOf(known))
		if err != nil && (a.Kind == traffic.ByName || a.Kind == traffic.ByRevision) {
			rev, gerr := c.api.GetRevision(ctx, ref.RevisionName(a.Name))
			switch {
			case gerr == nil:
				known[a.Name] = rev
				key, err = traffic.Resolve(traffic.Normalize(svc.GetTraffic()), a, keysOf(known))
			case !isNotFound(gerr):
				err = fmt.Errorf("failed to look up revision %s: %w", a.Name, gerr)
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
		keys[i] = key
	}
	return keys, errors.Join(errs...)
}

// requireServable checks that key (a revision or LATEST) can be given traffic: a Ready revision.
func (c *Client) requireServable(ctx context.Context, ref ServiceRef, svc *runpb.Service, key string, known map[string]*runpb.Revision) error {
	if key == traffic.Latest {
		if svc.GetLatestReadyRevision() == "" {
			return errors.New("LATEST cannot be given traffic: the service has no ready revision")
		}
		return nil
	}
	rev, ok := known[key]
	if !ok {
		var err error
		if rev, err = c.getRevision(ctx, ref, key); err != nil {
			return err
		}
		known[key] = rev
	}
	if state, msg := readiness(rev); state != runpb.Condition_CONDITION_SUCCEEDED {
		return &NotReadyError{Revision: key, State: state, Message: msg, LogURI: rev.GetLogUri()}
	}
	return nil
}

func keysOf(m map[string]*runpb.Revision) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func spec(assign []traffic.Assignment) string {
	parts := make([]string, len(assign))
	for i, a := range assign {
		parts[i] = a.String()
	}
	return strings.Join(parts, ",")
}
