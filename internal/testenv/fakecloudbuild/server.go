package fakecloudbuild

import (
	"context"
	"fmt"
	"hash/fnv"
	"net"
	"path"
	"slices"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"github.com/twittix/infra/internal/testenv/apicalls"
	"github.com/twittix/infra/pkg/gcp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Options tune the fake.
type Options struct {
	// Projects maps project IDs to project numbers. A project not listed gets a number derived
	// from its ID, unless StrictProjects is set, in which case requests for it are refused with
	// PERMISSION_DENIED as the service does for projects the caller cannot see.
	Projects       map[string]int64
	StrictProjects bool
	// Tick is how long the fake takes for each line it logs (default 5ms): a build of a few steps
	// runs in a fraction of a second.
	Tick time.Duration
	// QueueDelay is how long a build stays QUEUED before it starts (default one Tick).
	QueueDelay time.Duration
	// GCS is the fake Cloud Storage the builds read their source from and write their logs to;
	// when nil, one is started and closed with the server.
	GCS *GCS
	// Regions are the locations the fake serves besides global (default gcp.Regions); requests
	// for another location are refused with INVALID_ARGUMENT, as the service refuses a location
	// it does not serve.
	Regions []string
}

// Server is an in-process fake of Cloud Build: a gRPC server implementing
// google.devtools.cloudbuild.v1.CloudBuild and google.longrunning.Operations from the official
// protos, with a fake Cloud Storage next to it. Builds read their source from the fake storage, go
// QUEUED, WORKING, then a terminal status, append to the log object log-<id>.txt while they run
// and fill results.images with digests.
type Server struct {
	// GCS is the fake Cloud Storage.
	GCS *GCS
	// Addr is the host:port of the gRPC server.
	Addr string

	opts    Options
	ownGCS  bool
	grpc    *grpc.Server
	done    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	builds  map[string]*buildState // by build ID
	order   []string               // build IDs by creation
	faults  []rpcFault
	calls   map[string]int
	budgets map[string][]time.Duration // per method, the time each call had left until its deadline
	outcome []forcedOutcome
}

type rpcFault struct {
	method string
	st     *status.Status // nil: no answer until the caller gives up
	after  bool           // the call is applied before the fault answers
	left   int
}

type forcedOutcome struct {
	status cloudbuildpb.Build_Status
	detail string
}

// New starts a fake Cloud Build on 127.0.0.1.
func New(opts Options) (*Server, error) {
	if opts.Tick <= 0 {
		opts.Tick = 5 * time.Millisecond
	}
	if opts.QueueDelay <= 0 {
		opts.QueueDelay = opts.Tick
	}
	if opts.Regions == nil {
		opts.Regions = gcp.Regions
	}
	s := &Server{opts: opts, GCS: opts.GCS, done: make(chan struct{}), builds: map[string]*buildState{}, calls: map[string]int{}, budgets: map[string][]time.Duration{}}
	if s.GCS == nil {
		g, err := NewGCS()
		if err != nil {
			return nil, err
		}
		s.GCS, s.ownGCS = g, true
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.closeGCS()
		return nil, err
	}
	s.Addr = ln.Addr().String()
	s.grpc = grpc.NewServer(grpc.ChainUnaryInterceptor(apicalls.UnaryInterceptor("cloudbuild.googleapis.com"), s.intercept))
	cloudbuildpb.RegisterCloudBuildServer(s.grpc, &cloudBuild{s: s})
	longrunningpb.RegisterOperationsServer(s.grpc, &operations{s: s})
	go s.grpc.Serve(ln)
	return s, nil
}

// Start starts a fake for a test and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("failed to start the fake Cloud Build: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Close stops the builds in flight and the servers.
func (s *Server) Close() {
	close(s.done)
	s.grpc.Stop()
	s.wg.Wait()
	s.closeGCS()
}

func (s *Server) closeGCS() {
	if s.ownGCS {
		s.GCS.Close()
	}
}

// GCPConfig returns the pkg/gcp configuration that reaches this fake: the project, no
// authentication, plaintext connections to the fake Cloud Build and Cloud Storage.
func (s *Server) GCPConfig(project string) gcp.Config {
	return gcp.Config{
		Project:  project,
		Insecure: true,
		Endpoints: map[gcp.Service]string{
			gcp.CloudBuild: s.Addr,
			gcp.Storage:    s.GCS.Endpoint(),
		},
	}
}

// ProjectNumber returns the number of project, or 0 when the project is unknown and strict.
func (s *Server) ProjectNumber(project string) int64 {
	if n, ok := s.opts.Projects[project]; ok {
		return n
	}
	if s.opts.StrictProjects {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(project))
	return int64(h.Sum64()%900000000000) + 100000000000
}

// Fail makes the next times calls of method (the short name: "CreateBuild", "GetBuild",
// "CancelBuild", "GetOperation", ...) fail with st.
func (s *Server) Fail(method string, st *status.Status, times int) {
	s.addFault(rpcFault{method: method, st: st, left: times})
}

// FailAfter makes the next times calls of method take effect, then answer st instead of their
// result: an answer lost on the way back (CreateBuild creates the build, the caller sees
// UNAVAILABLE).
func (s *Server) FailAfter(method string, st *status.Status, times int) {
	s.addFault(rpcFault{method: method, st: st, after: true, left: times})
}

// Hang makes the next times calls of method wait, without taking effect, until the caller gives
// up (its context ends) or the server closes.
func (s *Server) Hang(method string, times int) {
	s.addFault(rpcFault{method: method, left: times})
}

// HangAfter makes the next times calls of method take effect, then wait without answering until
// the caller gives up: a CreateBuild in flight when the job is cancelled.
func (s *Server) HangAfter(method string, times int) {
	s.addFault(rpcFault{method: method, after: true, left: times})
}

func (s *Server) addFault(f rpcFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// FailNextBuild makes the next build created end with st (INTERNAL_ERROR, ...) and detail once it
// has fetched its source.
func (s *Server) FailNextBuild(st cloudbuildpb.Build_Status, detail string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcome = append(s.outcome, forcedOutcome{status: st, detail: detail})
}

// Calls counts the calls of method received, failed ones included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Budgets returns, for each call of method received with a deadline, the time it had left until
// that deadline as it arrived (the gRPC deadline the client sent).
func (s *Server) Budgets(method string) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.budgets[method])
}

func (s *Server) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	method := path.Base(info.FullMethod)
	s.mu.Lock()
	s.calls[method]++
	if deadline, ok := ctx.Deadline(); ok {
		s.budgets[method] = append(s.budgets[method], time.Until(deadline))
	}
	var fault *rpcFault
	for i := range s.faults {
		if f := &s.faults[i]; f.left > 0 && f.method == method {
			f.left--
			fault = &rpcFault{st: f.st, after: f.after}
			break
		}
	}
	s.mu.Unlock()
	if fault == nil {
		return handler(ctx, req)
	}
	if fault.after {
		// The call takes effect whatever happens to its answer.
		resp, err := handler(context.WithoutCancel(ctx), req)
		if err != nil {
			return resp, err
		}
	}
	if fault.st != nil {
		return nil, fault.st.Err()
	}
	select {
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	case <-s.done:
		return nil, status.Error(codes.Unavailable, "server closed")
	}
}

// Builds returns copies of the builds created, oldest first.
func (s *Server) Builds() []*cloudbuildpb.Build {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*cloudbuildpb.Build
	for _, id := range s.order {
		out = append(out, s.builds[id].snapshot())
	}
	return out
}

// Build returns a copy of the build id, or nil.
func (s *Server) Build(id string) *cloudbuildpb.Build {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.builds[id]; ok {
		return b.snapshot()
	}
	return nil
}

// LogLine is a line appended to a build's log object, and when its append started.
type LogLine struct {
	Text string
	At   time.Time
}

// Log returns the lines appended to the log of build id so far.
func (s *Server) Log(id string) []LogLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.builds[id]
	if !ok {
		return nil
	}
	return append([]LogLine(nil), b.lines...)
}

// WaitDone waits until build id reaches a terminal status or timeout passes.
func (s *Server) WaitDone(id string, timeout time.Duration) (*cloudbuildpb.Build, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if b := s.Build(id); b != nil && terminal(b.Status) {
			return b, nil
		}
		time.Sleep(s.opts.Tick)
	}
	return nil, fmt.Errorf("build %s not done after %v", id, timeout)
}

func terminal(st cloudbuildpb.Build_Status) bool {
	switch st {
	case cloudbuildpb.Build_STATUS_UNKNOWN, cloudbuildpb.Build_PENDING, cloudbuildpb.Build_QUEUED, cloudbuildpb.Build_WORKING:
		return false
	}
	return true
}
