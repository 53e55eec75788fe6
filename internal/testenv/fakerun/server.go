package fakerun

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/twittix/infra/internal/testenv/apicalls"
)

// Server is a running fake Cloud Run Admin API.
type Server struct {
	// Addr is the host:port of the gRPC server.
	Addr string

	reconcileDelay time.Duration
	routingDelay   time.Duration
	stop           func()

	mu         sync.Mutex
	closed     bool
	services   map[string]*service  // by full name
	revisions  map[string]*revision // by full name
	operations map[string]*operation
	outcomes   map[string]Outcome      // by image
	handlers   map[string]http.Handler // by revision short name or image
	calls      map[string]int
	callLog    []string
	faults     map[string][]codes.Code
	lost       map[string][]codes.Code // faults returned after the method ran
	hooks      map[string][]func()
	etagSeq    int
	opSeq      int
	timers     []*time.Timer
}

// Option configures a Server.
type Option func(*Server)

// WithReconcileDelay sets how long a new revision stays CONDITION_RECONCILING (default 20ms).
func WithReconcileDelay(d time.Duration) Option { return func(s *Server) { s.reconcileDelay = d } }

// WithRoutingDelay sets how long an update that creates no revision takes to complete
// (default 5ms).
func WithRoutingDelay(d time.Duration) Option { return func(s *Server) { s.routingDelay = d } }

// SetRoutingDelay changes the routing delay (see WithRoutingDelay) of the updates made from now on.
func (s *Server) SetRoutingDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routingDelay = d
}

// Outcome is what becomes of the revisions of an image.
type Outcome struct {
	// Fail, when not empty, is the message of the Ready condition of a revision that fails.
	Fail string
	// Never leaves the revision CONDITION_RECONCILING for ever.
	Never bool
	// Delay, when not zero, replaces the reconcile delay for this image.
	Delay time.Duration
}

// Start starts a fake Cloud Run API on 127.0.0.1 and stops it, with its HTTP servers, when the
// test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := New(opts...)
	if err != nil {
		t.Fatalf("fakerun: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// New starts a fake Cloud Run API on 127.0.0.1, for programs (benchmarks); Close stops it.
func New(opts ...Option) (*Server, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s := &Server{
		Addr:           lis.Addr().String(),
		reconcileDelay: 20 * time.Millisecond,
		routingDelay:   5 * time.Millisecond,
		services:       map[string]*service{},
		revisions:      map[string]*revision{},
		operations:     map[string]*operation{},
		outcomes:       map[string]Outcome{},
		handlers:       map[string]http.Handler{},
		calls:          map[string]int{},
		faults:         map[string][]codes.Code{},
		lost:           map[string][]codes.Code{},
		hooks:          map[string][]func(){},
	}
	for _, o := range opts {
		o(s)
	}
	gs := grpc.NewServer(grpc.ChainUnaryInterceptor(apicalls.UnaryInterceptor("run.googleapis.com"), s.intercept))
	runpb.RegisterServicesServer(gs, &servicesServer{s: s})
	runpb.RegisterRevisionsServer(gs, &revisionsServer{s: s})
	longrunningpb.RegisterOperationsServer(gs, &operationsServer{s: s})
	go gs.Serve(lis) //nolint:errcheck // Serve returns when Stop is called
	s.stop = gs.Stop
	return s, nil
}

// Close stops the server and its HTTP servers.
func (s *Server) Close() {
	s.stop()
	s.close()
}

func (s *Server) close() {
	s.mu.Lock()
	s.closed = true
	for _, tm := range s.timers {
		tm.Stop()
	}
	var servers []*httptest.Server
	for _, svc := range s.services {
		servers = append(servers, svc.http)
		for _, ts := range svc.tagHTTP {
			servers = append(servers, ts)
		}
	}
	for _, op := range s.operations {
		if op.pb.GetDone() {
			continue
		}
		close(op.done)
		op.pb.Done = true
	}
	s.mu.Unlock()
	for _, hs := range servers {
		hs.Close()
	}
}

// ClientOptions returns the options that point the Cloud Run clients at the fake, without
// authentication.
func (s *Server) ClientOptions() []option.ClientOption {
	return []option.ClientOption{
		option.WithEndpoint(s.Addr),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	}
}

// intercept counts calls, runs the hooks and injects faults before a method runs, and lost
// answers after it ran.
func (s *Server) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	method := path.Base(info.FullMethod)
	s.mu.Lock()
	s.calls[method]++
	s.callLog = append(s.callLog, method)
	hooks := s.hooks[method]
	fault := next(s.faults, method)
	s.mu.Unlock()
	for _, h := range hooks {
		h()
	}
	if fault != codes.OK {
		return nil, status.Errorf(fault, "fakerun: injected %s on %s", fault, method)
	}
	resp, err := handler(ctx, req)
	s.mu.Lock()
	lost := next(s.lost, method)
	s.mu.Unlock()
	if lost != codes.OK {
		return nil, status.Errorf(lost, "fakerun: injected %s on %s after it was applied", lost, method)
	}
	return resp, err
}

// next pops the first code queued for method, or returns OK.
func next(queue map[string][]codes.Code, method string) codes.Code {
	q := queue[method]
	if len(q) == 0 {
		return codes.OK
	}
	queue[method] = q[1:]
	return q[0]
}

// Fail makes the next len(c) calls of method (e.g. "GetService", "UpdateService",
// "GetOperation") fail with these codes, in order, before they reach the fake.
func (s *Server) Fail(method string, c ...codes.Code) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], c...)
}

// FailAfter makes the next len(c) calls of method run as usual — an update is applied, its
// operation started — and then answer with these codes instead, in order: the answer is lost on
// the way back, as when a connection drops. A hook (Before) may call it for the call it runs in.
func (s *Server) FailAfter(method string, c ...codes.Code) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lost[method] = append(s.lost[method], c...)
}

// Before runs fn at the start of every call of method, before faults and the method itself;
// fn may call the Server's helpers (SetTraffic, ...).
func (s *Server) Before(method string, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks[method] = append(s.hooks[method], fn)
}

// Calls returns how many times each method was called.
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// CallLog returns the methods called, in order.
func (s *Server) CallLog() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.callLog...)
}

// ResetCalls forgets the calls counted so far.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[string]int{}
	s.callLog = nil
}

// SetOutcome decides what becomes of the revisions created from image from now on.
func (s *Server) SetOutcome(image string, o Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcomes[image] = o
}

// SetHandler sets the HTTP handler of a revision, named by its short name or by its image.
func (s *Server) SetHandler(revisionOrImage string, h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[revisionOrImage] = h
}

// after runs fn under the lock after d, unless the server is closed.
func (s *Server) after(d time.Duration, fn func()) {
	tm := time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.closed {
			fn()
		}
	})
	s.timers = append(s.timers, tm)
}

func (s *Server) nextEtag() string {
	s.etagSeq++
	return fmt.Sprintf("\"fake-%06d\"", s.etagSeq)
}

// names splits projects/P/locations/L/services/S[/revisions/R].
type names struct{ project, location, service, revision string }

func parseName(name string, wantRevision bool) (names, error) {
	parts := strings.Split(name, "/")
	n := names{}
	ok := len(parts) >= 6 && parts[0] == "projects" && parts[2] == "locations" && parts[4] == "services"
	if ok {
		n = names{project: parts[1], location: parts[3], service: parts[5]}
	}
	if wantRevision {
		ok = ok && len(parts) == 8 && parts[6] == "revisions"
		if ok {
			n.revision = parts[7]
		}
	} else {
		ok = ok && len(parts) == 6
	}
	if !ok || n.project == "" || n.location == "" || n.service == "" || (wantRevision && n.revision == "") {
		want := "projects/PROJECT/locations/LOCATION/services/SERVICE"
		if wantRevision {
			want += "/revisions/REVISION"
		}
		return n, status.Errorf(codes.InvalidArgument, "invalid resource name %q: want %s", name, want)
	}
	return n, nil
}

func notFound(kind, name string) error {
	n, _ := parseName(name, kind == "REVISION")
	short := n.service
	if kind == "REVISION" {
		short = n.revision
	}
	return status.Errorf(codes.NotFound, "Resource '%s' of kind '%s' in region '%s' in project '%s' does not exist.", short, kind, n.location, n.project)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
