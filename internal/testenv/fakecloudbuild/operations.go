package fakecloudbuild

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// operations implements google.longrunning.Operations for the builds' operations, named
// operations/build/{project}/{base64 of the build ID} as the service names them.
type operations struct {
	longrunningpb.UnimplementedOperationsServer
	s *Server
}

func (o *operations) state(name string) (*buildState, error) {
	rest, ok := strings.CutPrefix(name, "operations/build/")
	project, enc, ok2 := strings.Cut(rest, "/")
	id, err := base64.StdEncoding.DecodeString(enc)
	if !ok || !ok2 || err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "invalid operation name %q", name)
	}
	return o.s.lookup("", project, string(id))
}

func (o *operations) GetOperation(ctx context.Context, req *longrunningpb.GetOperationRequest) (*longrunningpb.Operation, error) {
	st, err := o.state(req.GetName())
	if err != nil {
		return nil, err
	}
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	return st.operation(), nil
}

func (o *operations) WaitOperation(ctx context.Context, req *longrunningpb.WaitOperationRequest) (*longrunningpb.Operation, error) {
	st, err := o.state(req.GetName())
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(time.Minute)
	if t := req.GetTimeout(); t != nil {
		deadline = time.Now().Add(t.AsDuration())
	}
	for {
		o.s.mu.Lock()
		op := st.operation()
		o.s.mu.Unlock()
		if op.Done || time.Now().After(deadline) {
			return op, nil
		}
		select {
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		case <-time.After(o.s.opts.Tick):
		}
	}
}

func (o *operations) CancelOperation(ctx context.Context, req *longrunningpb.CancelOperationRequest) (*emptypb.Empty, error) {
	st, err := o.state(req.GetName())
	if err != nil {
		return nil, err
	}
	if _, err := o.s.cancelBuild(st); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
