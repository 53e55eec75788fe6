package fakerun

import (
	"fmt"
	"net/http"

	"cloud.google.com/go/run/apiv2/runpb"
)

// serviceHandler serves the service URL: each request goes to a revision chosen by the traffic
// percents (a deterministic round robin over 100 slots).
func (s *Server) serviceHandler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		svc, ok := s.services[name]
		var rev string
		if ok {
			slot := int(svc.rr % 100)
			svc.rr++
			for _, st := range svc.pb.GetTrafficStatuses() {
				if slot < int(st.GetPercent()) {
					rev = st.GetRevision()
					break
				}
				slot -= int(st.GetPercent())
			}
		}
		s.mu.Unlock()
		if rev == "" {
			http.Error(w, "no revision serves traffic", http.StatusServiceUnavailable)
			return
		}
		s.serveRevision(w, r, name, rev)
	})
}

// tagHandler serves a tag URL: requests go to the revision the tag currently names.
func (s *Server) tagHandler(name, tag string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		var rev string
		if svc, ok := s.services[name]; ok {
			for _, st := range svc.pb.GetTrafficStatuses() {
				if st.GetTag() == tag {
					rev = st.GetRevision()
				}
			}
		}
		s.mu.Unlock()
		if rev == "" {
			http.Error(w, fmt.Sprintf("tag %q does not exist", tag), http.StatusNotFound)
			return
		}
		s.serveRevision(w, r, name, rev)
	})
}

// serveRevision answers with the handler set for the revision (or its image); by default a
// ready revision answers 200 and another 503.
func (s *Server) serveRevision(w http.ResponseWriter, r *http.Request, service, short string) {
	s.mu.Lock()
	rev, ok := s.revisions[service+"/revisions/"+short]
	var h http.Handler
	ready := false
	if ok {
		h = s.handlers[short]
		if h == nil {
			h = s.handlers[rev.image()]
		}
		ready = readyState(rev.pb) == runpb.Condition_CONDITION_SUCCEEDED
	}
	s.mu.Unlock()
	w.Header().Set("X-Revision", short)
	switch {
	case !ok:
		http.Error(w, fmt.Sprintf("revision %q does not exist", short), http.StatusNotFound)
	case h != nil:
		h.ServeHTTP(w, r)
	case !ready:
		http.Error(w, fmt.Sprintf("revision %q is not ready", short), http.StatusServiceUnavailable)
	default:
		fmt.Fprintf(w, "hello from %s\n", short)
	}
}
