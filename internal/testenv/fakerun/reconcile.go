package fakerun

import (
	"fmt"
	"net/http/httptest"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// validateTrafficLocked checks a split as Cloud Run does; created is the revision the same update
// creates, if any.
func (s *Server) validateTrafficLocked(svc *service, traffic []*runpb.TrafficTarget, created *revision) error {
	total := 0
	tags := map[string]bool{}
	for i, t := range traffic {
		if t.GetPercent() < 0 || t.GetPercent() > 100 {
			return status.Errorf(codes.InvalidArgument, "service.traffic[%d].percent must be between 0 and 100, got %d", i, t.GetPercent())
		}
		total += int(t.GetPercent())
		if tag := t.GetTag(); tag != "" {
			if tags[tag] {
				return status.Errorf(codes.InvalidArgument, "service.traffic: tag %q is used more than once", tag)
			}
			if !validName(tag) || len(tag)+len(svc.names.service) > 46 {
				return status.Errorf(codes.InvalidArgument, "service.traffic[%d].tag %q must be lower-case letters, digits and hyphens, start with a letter, and with the service name be at most 46 characters", i, tag)
			}
			tags[tag] = true
		}
		switch t.GetType() {
		case runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST:
			if t.GetRevision() != "" {
				return status.Errorf(codes.InvalidArgument, "service.traffic[%d]: a LATEST target must not name a revision", i)
			}
		case runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION:
			name := t.GetRevision()
			if created != nil && name == created.names.revision {
				continue
			}
			rev, ok := s.revisions[svc.pb.GetName()+"/revisions/"+name]
			if !ok {
				return status.Errorf(codes.InvalidArgument, "Revision named '%s' with traffic percent %d does not exist in service '%s'.", name, t.GetPercent(), svc.names.service)
			}
			if t.GetPercent() > 0 && readyState(rev.pb) == runpb.Condition_CONDITION_FAILED {
				return status.Errorf(codes.FailedPrecondition, "Revision '%s' is not ready and cannot serve traffic. %s", name, readyMessage(rev.pb))
			}
		default:
			return status.Errorf(codes.InvalidArgument, "service.traffic[%d].type must be TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST or TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", i)
		}
	}
	if total != 100 {
		return status.Errorf(codes.InvalidArgument, "service.traffic: the percents total %d, they must total 100", total)
	}
	return nil
}

// scheduleLocked completes the operation of an update: when rev (if any) is reconciled, or after
// the routing delay.
func (s *Server) scheduleLocked(svc *service, rev *revision, op *operation) {
	if rev == nil {
		s.after(s.routingDelay, func() { s.routeLocked(svc, op, nil) })
		return
	}
	outcome := s.outcomes[rev.image()]
	if outcome.Never {
		return
	}
	delay := s.reconcileDelay
	if outcome.Delay > 0 {
		delay = outcome.Delay
	}
	s.after(delay, func() { s.settleLocked(svc, rev, op, outcome) })
}

// settleLocked ends the reconciliation of rev with outcome, then routes the service's traffic.
func (s *Server) settleLocked(svc *service, rev *revision, op *operation, outcome Outcome) {
	if s.services[svc.pb.GetName()] != svc {
		return // deleted meanwhile
	}
	if outcome.Fail != "" {
		rev.fail(outcome.Fail)
		rev.pb.Etag = s.nextEtag()
		msg := fmt.Sprintf("Revision '%s' is not ready and cannot serve traffic. %s", rev.names.revision, outcome.Fail)
		s.routeLocked(svc, op, status.New(codes.FailedPrecondition, msg))
		return
	}
	rev.succeed()
	rev.pb.Etag = s.nextEtag()
	svc.pb.LatestReadyRevision = rev.pb.GetName()
	s.routeLocked(svc, op, nil)
}

// routeLocked resolves the service's traffic into its status, marks the service reconciled (or
// failed) and completes op.
func (s *Server) routeLocked(svc *service, op *operation, failure *status.Status) {
	if s.services[svc.pb.GetName()] != svc {
		return
	}
	latest := shortName(svc.pb.GetLatestReadyRevision())
	var statuses []*runpb.TrafficTargetStatus
	for _, t := range svc.pb.GetTraffic() {
		st := &runpb.TrafficTargetStatus{Type: t.GetType(), Revision: t.GetRevision(), Percent: t.GetPercent(), Tag: t.GetTag()}
		if t.GetType() == runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST {
			st.Revision = latest
		}
		if t.GetTag() != "" {
			st.Uri = s.tagServerLocked(svc, t.GetTag()).URL
		}
		statuses = append(statuses, st)
	}
	svc.pb.TrafficStatuses = statuses
	svc.pb.ObservedGeneration = svc.pb.GetGeneration()
	svc.pb.Reconciling = false
	if failure != nil {
		svc.pb.TerminalCondition = condition("Ready", runpb.Condition_CONDITION_FAILED, failure.Message())
	} else {
		svc.pb.TerminalCondition = condition("Ready", runpb.Condition_CONDITION_SUCCEEDED, "")
	}
	svc.pb.Conditions = []*runpb.Condition{
		condition("RoutesReady", svc.pb.TerminalCondition.GetState(), svc.pb.TerminalCondition.GetMessage()),
		condition("ConfigurationsReady", svc.pb.TerminalCondition.GetState(), svc.pb.TerminalCondition.GetMessage()),
	}
	svc.pb.Etag = s.nextEtag()
	if op != nil {
		var err error
		if failure != nil {
			err = failure.Err()
		}
		s.finishOperationLocked(op, svc.pb, err)
	}
}

func (s *Server) tagServerLocked(svc *service, tag string) *httptest.Server {
	if ts, ok := svc.tagHTTP[tag]; ok {
		return ts
	}
	ts := httptest.NewServer(s.tagHandler(svc.pb.GetName(), tag))
	svc.tagHTTP[tag] = ts
	return ts
}

func condition(typ string, state runpb.Condition_State, msg string) *runpb.Condition {
	c := &runpb.Condition{Type: typ, State: state, Message: msg, LastTransitionTime: timestamppb.Now()}
	if state == runpb.Condition_CONDITION_FAILED {
		c.Severity = runpb.Condition_ERROR
	}
	return c
}
