package fakerun

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strconv"
	"strings"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// service is the stored state of one Cloud Run service.
type service struct {
	pb      *runpb.Service
	names   names
	http    *httptest.Server            // serves the service URL
	tagHTTP map[string]*httptest.Server // serves each tag URL
	rr      uint64                      // spreads service URL requests over the split
}

type servicesServer struct {
	runpb.UnimplementedServicesServer
	s *Server
}

func (x *servicesServer) GetService(_ context.Context, req *runpb.GetServiceRequest) (*runpb.Service, error) {
	if _, err := parseName(req.GetName(), false); err != nil {
		return nil, err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	svc, ok := x.s.services[req.GetName()]
	if !ok {
		return nil, notFound("SERVICE", req.GetName())
	}
	return proto.Clone(svc.pb).(*runpb.Service), nil
}

func (x *servicesServer) ListServices(_ context.Context, req *runpb.ListServicesRequest) (*runpb.ListServicesResponse, error) {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	prefix := req.GetParent() + "/services/"
	var all []*runpb.Service
	for _, name := range sortedKeys(x.s.services) {
		if strings.HasPrefix(name, prefix) {
			all = append(all, proto.Clone(x.s.services[name].pb).(*runpb.Service))
		}
	}
	start, end, next, err := pageBounds(len(all), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &runpb.ListServicesResponse{Services: all[start:end], NextPageToken: next}, nil
}

func (x *servicesServer) CreateService(_ context.Context, req *runpb.CreateServiceRequest) (*longrunningpb.Operation, error) {
	name := req.GetParent() + "/services/" + req.GetServiceId()
	if _, err := parseName(name, false); err != nil {
		return nil, err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if _, ok := x.s.services[name]; ok {
		return nil, status.Errorf(codes.AlreadyExists, "Resource '%s' already exists.", req.GetServiceId())
	}
	return x.s.createAndScheduleLocked(name, req.GetService(), req.GetValidateOnly())
}

func (x *servicesServer) UpdateService(_ context.Context, req *runpb.UpdateServiceRequest) (*longrunningpb.Operation, error) {
	name := req.GetService().GetName()
	if _, err := parseName(name, false); err != nil {
		return nil, err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	svc, ok := x.s.services[name]
	if !ok {
		if !req.GetAllowMissing() {
			return nil, notFound("SERVICE", name)
		}
		return x.s.createAndScheduleLocked(name, req.GetService(), req.GetValidateOnly())
	}
	if etag := req.GetService().GetEtag(); etag != "" && etag != svc.pb.GetEtag() {
		return nil, status.Errorf(codes.Aborted, "The service %q was modified concurrently: the etag %s of the request does not match its current etag %s. Read the service again and retry.", svc.names.service, etag, svc.pb.GetEtag())
	}
	rev, op, err := x.s.applyLocked(svc, req.GetService(), req.GetUpdateMask().GetPaths(), req.GetValidateOnly())
	if err != nil {
		return nil, err
	}
	if req.GetValidateOnly() {
		return &longrunningpb.Operation{Name: "validate-only", Done: true}, nil
	}
	x.s.scheduleLocked(svc, rev, op)
	return proto.Clone(op.pb).(*longrunningpb.Operation), nil
}

func (x *servicesServer) DeleteService(_ context.Context, req *runpb.DeleteServiceRequest) (*longrunningpb.Operation, error) {
	if _, err := parseName(req.GetName(), false); err != nil {
		return nil, err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	svc, ok := x.s.services[req.GetName()]
	if !ok {
		return nil, notFound("SERVICE", req.GetName())
	}
	if etag := req.GetEtag(); etag != "" && etag != svc.pb.GetEtag() {
		return nil, status.Errorf(codes.Aborted, "etag %s does not match the current etag %s", etag, svc.pb.GetEtag())
	}
	op := x.s.newOperationLocked(svc)
	if req.GetValidateOnly() {
		return op.pb, nil
	}
	delete(x.s.services, req.GetName())
	for name := range x.s.revisions {
		if strings.HasPrefix(name, req.GetName()+"/revisions/") {
			delete(x.s.revisions, name)
		}
	}
	servers := []*httptest.Server{svc.http}
	for _, ts := range svc.tagHTTP {
		servers = append(servers, ts)
	}
	go func() {
		for _, hs := range servers {
			hs.Close()
		}
	}()
	x.s.finishOperationLocked(op, svc.pb, nil)
	return proto.Clone(op.pb).(*longrunningpb.Operation), nil
}

func (s *Server) createAndScheduleLocked(name string, spec *runpb.Service, validateOnly bool) (*longrunningpb.Operation, error) {
	svc, rev, op, err := s.createLocked(name, spec, validateOnly)
	if err != nil {
		return nil, err
	}
	if validateOnly {
		return &longrunningpb.Operation{Name: "validate-only", Done: true}, nil
	}
	s.scheduleLocked(svc, rev, op)
	return proto.Clone(op.pb).(*longrunningpb.Operation), nil
}

// createLocked stores a new service made from spec, with its first revision reconciling.
func (s *Server) createLocked(name string, spec *runpb.Service, validateOnly bool) (*service, *revision, *operation, error) {
	n, _ := parseName(name, false)
	if !validName(n.service) || len(n.service) > 49 {
		return nil, nil, nil, status.Errorf(codes.InvalidArgument, "service name %q must be lower-case letters, digits and hyphens, start with a letter and be at most 49 characters", n.service)
	}
	svc := &service{
		names:   n,
		tagHTTP: map[string]*httptest.Server{},
		pb: &runpb.Service{
			Name:       name,
			Uid:        fmt.Sprintf("uid-%s-%d", n.service, rand.Uint32()),
			CreateTime: timestamppb.Now(),
			Creator:    "fake@example.com",
		},
	}
	if _, _, err := s.applyLocked(svc, spec, nil, true); err != nil || validateOnly {
		return nil, nil, nil, err
	}
	svc.http = httptest.NewServer(s.serviceHandler(name))
	svc.pb.Uri = svc.http.URL
	svc.pb.Urls = []string{svc.http.URL}
	s.services[name] = svc
	rev, op, err := s.applyLocked(svc, spec, nil, false)
	return svc, rev, op, err
}

// mutableFields are the fields of a Service a client sets; the others are output only.
var mutableFields = []string{
	"description", "labels", "annotations", "client", "client_version", "ingress", "launch_stage",
	"binary_authorization", "template", "traffic", "scaling", "invoker_iam_disabled",
	"default_uri_disabled", "custom_audiences",
}

// applyLocked validates spec (restricted to the fields of mask, all client fields when mask is
// empty) against svc and, unless validateOnly, stores it: a changed template creates a revision.
// It returns the new revision (nil when the template did not change) and the operation.
func (s *Server) applyLocked(svc *service, spec *runpb.Service, mask []string, validateOnly bool) (*revision, *operation, error) {
	if len(mask) == 0 {
		mask = mutableFields
	}
	next := proto.Clone(svc.pb).(*runpb.Service)
	if err := copyFields(next, spec, mask); err != nil {
		return nil, nil, err
	}
	if len(next.Traffic) == 0 {
		next.Traffic = []*runpb.TrafficTarget{{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, Percent: 100}}
	}
	if err := validateTemplate(next.GetTemplate()); err != nil {
		return nil, nil, err
	}
	var rev *revision
	if svc.pb.GetTemplate() == nil || !proto.Equal(svc.pb.GetTemplate(), next.GetTemplate()) {
		revName, err := s.revisionNameLocked(svc, next)
		if err != nil {
			return nil, nil, err
		}
		rev = newRevision(svc, next, revName)
	}
	if err := s.validateTrafficLocked(svc, next.Traffic, rev); err != nil {
		return nil, nil, err
	}
	if validateOnly {
		return nil, nil, nil
	}
	next.Generation++
	next.UpdateTime = timestamppb.Now()
	next.LastModifier = "fake@example.com"
	next.Reconciling = true
	next.TerminalCondition = condition("Ready", runpb.Condition_CONDITION_RECONCILING, "Deploying revision and routing traffic.")
	next.Etag = s.nextEtag()
	if rev != nil {
		s.revisions[rev.pb.GetName()] = rev
		next.LatestCreatedRevision = rev.pb.GetName()
	}
	svc.pb = next
	return rev, s.newOperationLocked(svc), nil
}

func copyFields(dst, src *runpb.Service, mask []string) error {
	d, r := dst.ProtoReflect(), src.ProtoReflect()
	for _, path := range mask {
		fd := d.Descriptor().Fields().ByName(protoreflect.Name(path))
		if fd == nil || !isMutable(path) {
			return status.Errorf(codes.InvalidArgument, "update_mask path %q is not a field a client can update", path)
		}
		if r.Has(fd) {
			d.Set(fd, r.Get(fd))
		} else {
			d.Clear(fd)
		}
	}
	return nil
}

func isMutable(path string) bool {
	for _, f := range mutableFields {
		if f == path {
			return true
		}
	}
	return false
}

func validateTemplate(t *runpb.RevisionTemplate) error {
	if t == nil || len(t.GetContainers()) == 0 {
		return status.Error(codes.InvalidArgument, "service.template.containers: at least one container is required")
	}
	for i, c := range t.GetContainers() {
		if c.GetImage() == "" {
			return status.Errorf(codes.InvalidArgument, "service.template.containers[%d].image is required", i)
		}
	}
	return nil
}

// revisionNameLocked returns the name of the revision a template update creates.
func (s *Server) revisionNameLocked(svc *service, next *runpb.Service) (string, error) {
	short := next.GetTemplate().GetRevision()
	if short == "" {
		for {
			short = fmt.Sprintf("%s-%05d-%s", svc.names.service, next.GetGeneration()+1, randomSuffix())
			if _, taken := s.revisions[svc.pb.GetName()+"/revisions/"+short]; !taken {
				break
			}
		}
	} else {
		if !strings.HasPrefix(short, svc.names.service+"-") {
			return "", status.Errorf(codes.InvalidArgument, "Revision name %q must be prefixed by the name of the enclosing Service or Configuration with a trailing -", short)
		}
		if !validName(short) {
			return "", status.Errorf(codes.InvalidArgument, "Revision name %q must be lower-case letters, digits and hyphens, start with a letter and be at most 63 characters", short)
		}
	}
	if _, taken := s.revisions[svc.pb.GetName()+"/revisions/"+short]; taken {
		return "", status.Errorf(codes.AlreadyExists, "Revision named '%s' with different configuration already exists.", short)
	}
	return short, nil
}

func randomSuffix() string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 3)
	for i := range b {
		b[i] = letters[rand.IntN(len(letters))]
	}
	return string(b)
}

func shortName(full string) string { return full[strings.LastIndex(full, "/")+1:] }

func validName(s string) bool {
	if s == "" || len(s) > 63 || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

func pageBounds(n int, size int32, token string) (start, end int, next string, err error) {
	if token != "" {
		start, err = strconv.Atoi(token)
		if err != nil || start < 0 || start > n {
			return 0, 0, "", status.Errorf(codes.InvalidArgument, "invalid page_token %q", token)
		}
	}
	end = n
	if size > 0 && start+int(size) < n {
		end = start + int(size)
		next = strconv.Itoa(end)
	}
	return start, end, next, nil
}
