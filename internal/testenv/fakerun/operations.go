package fakerun

import (
	"context"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"
)

// operation is a long-running operation; done is closed when it completes.
type operation struct {
	pb   *longrunningpb.Operation
	done chan struct{}
}

// newOperationLocked starts an operation on svc, with a snapshot of the service as metadata.
func (s *Server) newOperationLocked(svc *service) *operation {
	s.opSeq++
	meta, _ := anypb.New(svc.pb) // a valid message always marshals
	op := &operation{
		pb: &longrunningpb.Operation{
			Name:     fmt.Sprintf("projects/%s/locations/%s/operations/op-%06d", svc.names.project, svc.names.location, s.opSeq),
			Metadata: meta,
		},
		done: make(chan struct{}),
	}
	s.operations[op.pb.GetName()] = op
	return op
}

// finishOperationLocked completes op with resp, or with err when it is not nil.
func (s *Server) finishOperationLocked(op *operation, resp proto.Message, err error) {
	if op.pb.GetDone() {
		return
	}
	op.pb.Done = true
	if err != nil {
		op.pb.Result = &longrunningpb.Operation_Error{Error: status.Convert(err).Proto()}
	} else {
		r, _ := anypb.New(resp)
		op.pb.Result = &longrunningpb.Operation_Response{Response: r}
	}
	close(op.done)
}

type operationsServer struct {
	longrunningpb.UnimplementedOperationsServer
	s *Server
}

func (x *operationsServer) GetOperation(_ context.Context, req *longrunningpb.GetOperationRequest) (*longrunningpb.Operation, error) {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	op, ok := x.s.operations[req.GetName()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "operation %q not found", req.GetName())
	}
	return proto.Clone(op.pb).(*longrunningpb.Operation), nil
}

func (x *operationsServer) ListOperations(_ context.Context, req *longrunningpb.ListOperationsRequest) (*longrunningpb.ListOperationsResponse, error) {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	var all []*longrunningpb.Operation
	for _, name := range sortedKeys(x.s.operations) {
		if strings.HasPrefix(name, req.GetName()+"/operations/") {
			all = append(all, proto.Clone(x.s.operations[name].pb).(*longrunningpb.Operation))
		}
	}
	start, end, next, err := pageBounds(len(all), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &longrunningpb.ListOperationsResponse{Operations: all[start:end], NextPageToken: next}, nil
}

func (x *operationsServer) DeleteOperation(_ context.Context, req *longrunningpb.DeleteOperationRequest) (*emptypb.Empty, error) {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if _, ok := x.s.operations[req.GetName()]; !ok {
		return nil, status.Errorf(codes.NotFound, "operation %q not found", req.GetName())
	}
	delete(x.s.operations, req.GetName())
	return &emptypb.Empty{}, nil
}

// WaitOperation blocks until the operation is done or the timeout (default 1 minute) passes.
func (x *operationsServer) WaitOperation(ctx context.Context, req *longrunningpb.WaitOperationRequest) (*longrunningpb.Operation, error) {
	x.s.mu.Lock()
	op, ok := x.s.operations[req.GetName()]
	x.s.mu.Unlock()
	if !ok {
		return nil, status.Errorf(codes.NotFound, "operation %q not found", req.GetName())
	}
	timeout := time.Minute
	if d := req.GetTimeout(); d != nil {
		timeout = d.AsDuration()
	}
	select {
	case <-op.done:
	case <-time.After(timeout):
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	return proto.Clone(op.pb).(*longrunningpb.Operation), nil
}
