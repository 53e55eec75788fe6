package fakerun

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// revision is the stored state of one revision.
type revision struct {
	pb    *runpb.Revision
	names names
}

// newRevision returns a reconciling revision of svc made from the template of spec.
func newRevision(svc *service, spec *runpb.Service, short string) *revision {
	t := spec.GetTemplate()
	full := svc.pb.GetName() + "/revisions/" + short
	n := svc.names
	n.revision = short
	var containers []*runpb.Container
	for _, c := range t.GetContainers() {
		containers = append(containers, proto.Clone(c).(*runpb.Container))
	}
	labels := map[string]string{}
	for k, v := range t.GetLabels() {
		labels[k] = v
	}
	annotations := map[string]string{}
	for k, v := range t.GetAnnotations() {
		annotations[k] = v
	}
	return &revision{names: n, pb: &runpb.Revision{
		Name:                          full,
		Uid:                           "uid-" + short,
		Generation:                    1,
		Labels:                        labels,
		Annotations:                   annotations,
		CreateTime:                    timestamppb.Now(),
		UpdateTime:                    timestamppb.Now(),
		Service:                       svc.pb.GetName(),
		Scaling:                       t.GetScaling(),
		Timeout:                       t.GetTimeout(),
		ServiceAccount:                t.GetServiceAccount(),
		Containers:                    containers,
		Volumes:                       t.GetVolumes(),
		ExecutionEnvironment:          t.GetExecutionEnvironment(),
		MaxInstanceRequestConcurrency: t.GetMaxInstanceRequestConcurrency(),
		Reconciling:                   true,
		Conditions: []*runpb.Condition{
			condition("Ready", runpb.Condition_CONDITION_RECONCILING, "Deploying revision."),
			condition("ContainerHealthy", runpb.Condition_CONDITION_PENDING, ""),
			condition("ResourcesAvailable", runpb.Condition_CONDITION_RECONCILING, "Provisioning revision instances."),
		},
		LogUri: fmt.Sprintf("https://console.cloud.google.com/logs/viewer?project=%s&resource=cloud_run_revision/service_name/%s/revision_name/%s",
			url.QueryEscape(n.project), url.QueryEscape(n.service), url.QueryEscape(short)),
		Etag: "\"" + short + "-1\"",
	}}
}

func (r *revision) image() string {
	if c := r.pb.GetContainers(); len(c) > 0 {
		return c[0].GetImage()
	}
	return ""
}

func (r *revision) succeed() {
	r.pb.Reconciling = false
	r.pb.ObservedGeneration = r.pb.GetGeneration()
	r.pb.UpdateTime = timestamppb.Now()
	r.pb.Conditions = []*runpb.Condition{
		condition("Ready", runpb.Condition_CONDITION_SUCCEEDED, ""),
		condition("ContainerHealthy", runpb.Condition_CONDITION_SUCCEEDED, ""),
		condition("ResourcesAvailable", runpb.Condition_CONDITION_SUCCEEDED, ""),
	}
}

func (r *revision) fail(msg string) {
	r.pb.Reconciling = false
	r.pb.ObservedGeneration = r.pb.GetGeneration()
	r.pb.UpdateTime = timestamppb.Now()
	ready := condition("Ready", runpb.Condition_CONDITION_FAILED, msg)
	ready.Reasons = &runpb.Condition_RevisionReason_{RevisionReason: runpb.Condition_HEALTH_CHECK_CONTAINER_ERROR}
	r.pb.Conditions = []*runpb.Condition{
		ready,
		condition("ContainerHealthy", runpb.Condition_CONDITION_FAILED, msg),
		condition("ResourcesAvailable", runpb.Condition_CONDITION_SUCCEEDED, ""),
	}
}

func readyCondition(r *runpb.Revision) *runpb.Condition {
	for _, c := range r.GetConditions() {
		if c.GetType() == "Ready" {
			return c
		}
	}
	return nil
}

func readyState(r *runpb.Revision) runpb.Condition_State { return readyCondition(r).GetState() }

func readyMessage(r *runpb.Revision) string { return readyCondition(r).GetMessage() }

type revisionsServer struct {
	runpb.UnimplementedRevisionsServer
	s *Server
}

func (x *revisionsServer) GetRevision(_ context.Context, req *runpb.GetRevisionRequest) (*runpb.Revision, error) {
	if _, err := parseName(req.GetName(), true); err != nil {
		return nil, err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	rev, ok := x.s.revisions[req.GetName()]
	if !ok {
		return nil, notFound("REVISION", req.GetName())
	}
	return proto.Clone(rev.pb).(*runpb.Revision), nil
}

func (x *revisionsServer) ListRevisions(_ context.Context, req *runpb.ListRevisionsRequest) (*runpb.ListRevisionsResponse, error) {
	if _, err := parseName(req.GetParent(), false); err != nil {
		return nil, err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if _, ok := x.s.services[req.GetParent()]; !ok {
		return nil, notFound("SERVICE", req.GetParent())
	}
	var all []*runpb.Revision
	for _, name := range sortedKeys(x.s.revisions) {
		if strings.HasPrefix(name, req.GetParent()+"/revisions/") {
			all = append(all, proto.Clone(x.s.revisions[name].pb).(*runpb.Revision))
		}
	}
	// Cloud Run lists the newest first.
	for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
		all[i], all[j] = all[j], all[i]
	}
	start, end, next, err := pageBounds(len(all), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &runpb.ListRevisionsResponse{Revisions: all[start:end], NextPageToken: next}, nil
}

func (x *revisionsServer) DeleteRevision(_ context.Context, req *runpb.DeleteRevisionRequest) (*longrunningpb.Operation, error) {
	n, err := parseName(req.GetName(), true)
	if err != nil {
		return nil, err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	rev, ok := x.s.revisions[req.GetName()]
	if !ok {
		return nil, notFound("REVISION", req.GetName())
	}
	svc := x.s.services[rev.pb.GetService()]
	for _, st := range svc.pb.GetTrafficStatuses() {
		if st.GetRevision() == n.revision && (st.GetPercent() > 0 || st.GetTag() != "") {
			return nil, status.Errorf(codes.FailedPrecondition, "Revision '%s' is referenced by the traffic of service '%s' and cannot be deleted.", n.revision, n.service)
		}
	}
	op := x.s.newOperationLocked(svc)
	if req.GetValidateOnly() {
		return op.pb, nil
	}
	delete(x.s.revisions, req.GetName())
	x.s.finishOperationLocked(op, rev.pb, nil)
	return proto.Clone(op.pb).(*longrunningpb.Operation), nil
}
