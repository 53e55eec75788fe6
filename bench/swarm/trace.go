package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// call is one Engine API request seen by the tracer, its times from the start of the run.
type call struct {
	method, path string
	start, end   time.Duration
}

// tracer is an HTTP proxy on a unix socket in front of the Docker socket that records every
// Engine API call deploy-swarm makes, with its times: the action reaches it through SSH as its
// docker_socket.
type tracer struct {
	socket string
	srv    *http.Server

	mu    sync.Mutex
	start time.Time
	calls []call
}

// newTracer listens on socket and forwards to the Docker socket dockerSocket.
func newTracer(socket, dockerSocket string) (*tracer, error) {
	ln, err := net.Listen("unix", socket)
	if err != nil {
		return nil, fmt.Errorf("listen on the tracing socket: %w", err)
	}
	var d net.Dialer
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(&url.URL{Scheme: "http", Host: "docker"}) },
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", dockerSocket)
		}},
	}
	t := &tracer{socket: socket, start: time.Now()}
	t.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.mu.Lock()
		c := call{method: r.Method, path: r.URL.Path, start: time.Since(t.start)}
		t.mu.Unlock()
		proxy.ServeHTTP(w, r)
		t.mu.Lock()
		c.end = time.Since(t.start)
		t.calls = append(t.calls, c)
		t.mu.Unlock()
	})}
	go func() { _ = t.srv.Serve(ln) }()
	return t, nil
}

// reset starts a new recording, and returns when it started.
func (t *tracer) reset() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.start, t.calls = time.Now(), nil
	return t.start
}

// recorded returns the calls since reset.
func (t *tracer) recorded() []call {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]call(nil), t.calls...)
}

func (t *tracer) Close() error { return t.srv.Close() }

// phases is where a deploy-swarm run's wall time went, read from its Engine API calls.
type phases struct {
	connect time.Duration // start of the run to its first call: inputs, compose load, SSH login
	lock    time.Duration // the lock's ConfigCreate (and whatever precedes it: ping, info)
	plan    time.Duration // lock taken to the first ServiceUpdate: lists, image resolution, conversion
	resolve time.Duration // the longest /distribution call (image resolution), within plan
	apply   time.Duration // first ServiceUpdate sent to the last one answered
	wait    time.Duration // last update answered to the end of the poll that saw all done
	lag     time.Duration // within wait: Swarm's last update completion to the end of that poll
	finish  time.Duration // that poll to the end of the run: final list, GC, lock release, outputs
	client  time.Duration // the whole run but Swarm's work (last update answered to its completion)
	polls   int           // TaskList calls of the wait
	calls   int           // Engine API calls of the run
}

var apiVersion = regexp.MustCompile(`^/v[0-9.]+`)

// phasesOf splits a run of total wall time into phases from its calls; completed is when Swarm
// completed the last update, from the start of the run.
func phasesOf(calls []call, total, completed time.Duration) (phases, bool) {
	p := phases{calls: len(calls)}
	var lockEnd, firstUpdate, lastUpdate, lastPoll time.Duration
	for _, c := range calls {
		path := apiVersion.ReplaceAllString(c.path, "")
		switch {
		case c.method == http.MethodPost && path == "/configs/create" && lockEnd == 0:
			lockEnd = c.end
		case c.method == http.MethodPost && strings.HasPrefix(path, "/services/") && strings.HasSuffix(path, "/update"):
			if firstUpdate == 0 || c.start < firstUpdate {
				firstUpdate = c.start
			}
			lastUpdate = max(lastUpdate, c.end)
		case strings.HasPrefix(path, "/distribution/"):
			p.resolve = max(p.resolve, c.end-c.start)
		case path == "/tasks" && lastUpdate > 0:
			p.polls++
			lastPoll = max(lastPoll, c.end)
		}
	}
	if len(calls) == 0 || lockEnd == 0 || firstUpdate == 0 || lastPoll == 0 {
		return p, false
	}
	first := calls[0].start
	for _, c := range calls {
		first = min(first, c.start)
	}
	p.connect = first
	p.lock = lockEnd - first
	p.plan = firstUpdate - lockEnd
	p.apply = lastUpdate - firstUpdate
	p.wait = lastPoll - lastUpdate
	p.lag = lastPoll - completed
	p.finish = total - lastPoll
	p.client = total - (completed - lastUpdate)
	return p, true
}

// started is when the current recording started.
func (t *tracer) started() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.start
}

// printCalls prints calls in the order they started, with completed (Swarm's last update
// completion) among them.
func printCalls(w io.Writer, calls []call, completed time.Duration) {
	slices.SortFunc(calls, func(a, b call) int { return cmp.Compare(a.start, b.start) })
	shown := false
	for _, c := range calls {
		if !shown && c.start > completed {
			fmt.Fprintf(w, "%8.3f s  (Swarm completed the last update)\n", completed.Seconds())
			shown = true
		}
		fmt.Fprintf(w, "%8.3f s %6.1f ms  %s %s\n", c.start.Seconds(), float64(c.end-c.start)/float64(time.Millisecond), c.method, c.path)
	}
}
