package fakerun

import (
	"fmt"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// AddService creates a service named name (projects/P/locations/L/services/S) whose first
// revision runs image, is ready at once and serves 100% of the traffic through LATEST.
// It returns the stored service.
func (s *Server) AddService(name, image string) (*runpb.Service, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.services[name]; ok {
		return nil, fmt.Errorf("fakerun: service %s already exists", name)
	}
	spec := &runpb.Service{Template: &runpb.RevisionTemplate{Containers: []*runpb.Container{{Image: image}}}}
	svc, rev, op, err := s.createLocked(name, spec, false)
	if err != nil {
		return nil, err
	}
	s.settleLocked(svc, rev, op, Outcome{})
	return proto.Clone(svc.pb).(*runpb.Service), nil
}

// Update changes a service as another client would, without an etag, and completes the change
// at once: fields are the paths of the service to set from spec (e.g. "traffic", "template").
// A template change creates a revision that becomes ready (or fails) at once per SetOutcome.
func (s *Server) Update(spec *runpb.Service, fields ...string) (*runpb.Service, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, ok := s.services[spec.GetName()]
	if !ok {
		return nil, notFound("SERVICE", spec.GetName())
	}
	mask := &fieldmaskpb.FieldMask{Paths: fields}
	rev, op, err := s.applyLocked(svc, spec, mask.GetPaths(), false)
	if err != nil {
		return nil, err
	}
	if rev == nil {
		s.routeLocked(svc, op, nil)
	} else {
		o := s.outcomes[rev.image()]
		if o.Never {
			return proto.Clone(svc.pb).(*runpb.Service), nil
		}
		s.settleLocked(svc, rev, op, o)
	}
	return proto.Clone(svc.pb).(*runpb.Service), nil
}

// SetTraffic sets the traffic of a service as another operator would (see Update).
func (s *Server) SetTraffic(name string, traffic ...*runpb.TrafficTarget) (*runpb.Service, error) {
	return s.Update(&runpb.Service{Name: name, Traffic: traffic}, "traffic")
}

// Service returns a copy of the stored service, or nil.
func (s *Server) Service(name string) *runpb.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	if svc, ok := s.services[name]; ok {
		return proto.Clone(svc.pb).(*runpb.Service)
	}
	return nil
}

// Revision returns a copy of a stored revision named by its full name or by service and short
// name, or nil.
func (s *Server) Revision(service, short string) *runpb.Revision {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rev, ok := s.revisions[service+"/revisions/"+short]; ok {
		return proto.Clone(rev.pb).(*runpb.Revision)
	}
	return nil
}
