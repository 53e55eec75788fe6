package cloudrun

import (
	"context"
	"fmt"

	"cloud.google.com/go/run/apiv2/runpb"

	"github.com/twittix/infra/pkg/cloudrun/traffic"
)

// RollbackRequest asks for the split before the last promotion, or for all traffic to one
// revision.
type RollbackRequest struct {
	Service ServiceRef
	// To, when not nil, names the revision (or tag, or LATEST) to give 100% instead of the
	// recorded split; its Percent is ignored.
	To *traffic.Assignment
}

// Rollback puts back the split recorded in AnnotationPreviousTraffic by the last shift, canary or
// rollback (keeping the current tags), or gives 100% to the revision To names. Every revision
// given traffic must be Ready. The split it replaces is recorded in turn, so a second rollback
// undoes the first.
func (c *Client) Rollback(ctx context.Context, req RollbackRequest) (*Result, error) {
	if err := req.Service.Validate(); err != nil {
		return nil, err
	}
	ref := req.Service
	svc, err := c.getService(ctx, ref)
	if err != nil {
		return nil, err
	}
	known := map[string]*runpb.Revision{}
	var target []*runpb.TrafficTarget
	var revision, change string
	if req.To != nil {
		to := *req.To
		to.Percent = 100
		keys, err := c.resolveAll(ctx, ref, svc, []traffic.Assignment{to}, known)
		if err != nil {
			return nil, err
		}
		revision = keys[0]
		target = []*runpb.TrafficTarget{traffic.NewTarget(revision, 100, "")}
		change = "rollback to " + revision
	} else {
		recorded, ok := svc.GetAnnotations()[AnnotationPreviousTraffic]
		if !ok {
			return nil, fmt.Errorf("service %s has no recorded traffic (annotation %s): nothing to roll back to; name the revision to roll back to instead", ref.Service, AnnotationPreviousTraffic)
		}
		if target, err = traffic.Decode(recorded); err != nil {
			return nil, fmt.Errorf("cannot roll back service %s: %w; name the revision to roll back to instead", ref.Service, err)
		}
		m, order := traffic.Percents(target)
		revision = order[0]
		for _, k := range order[1:] {
			if m[k] > m[revision] {
				revision = k
			}
		}
		change = "rollback to " + describe(target)
	}
	m, _ := traffic.Percents(target)
	for key := range m {
		if err := c.requireServable(ctx, ref, svc, key, known); err != nil {
			return nil, fmt.Errorf("cannot roll back to %s: %w", describe(target), err)
		}
	}
	end := c.log.Group(fmt.Sprintf("Roll back %s to %s", ref.Service, describe(target)))
	defer end()
	recorded := svc.GetAnnotations()[AnnotationPreviousTraffic]
	plan := func(svc *runpb.Service, reread bool) (*runpb.Service, error) {
		if reread && req.To == nil && svc.GetAnnotations()[AnnotationPreviousTraffic] != recorded {
			return nil, &RefusedError{Reason: fmt.Sprintf("refusing to roll back %s: another change recorded a new previous split while this action ran; check the service and run the rollback again if it is still needed", ref.Service)}
		}
		restored, err := traffic.Restore(svc.GetTraffic(), target)
		if err != nil {
			return nil, err
		}
		return c.withTraffic(svc, restored, change, ""), nil
	}
	before, after, err := c.write(ctx, ref, svc, plan)
	if err != nil {
		return nil, err
	}
	r := result(before, after)
	if revision == traffic.Latest {
		revision = shortName(after.GetLatestReadyRevision())
	}
	r.Revision, r.Tag = revision, tagOf(after, revision)
	r.TagURL = tagURL(after, r.Tag)
	if !r.Changed {
		c.log.Infof("the traffic of %s is already %s: nothing to roll back", ref.Service, describe(target))
	}
	return r, nil
}
