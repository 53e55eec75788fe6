package fakecloudbuild

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/twittix/infra/internal/testenv/apicalls"
)

// GCS is an in-process fake-gcs-server behind a thin HTTP layer that adds what the fake lacks and
// the code under test relies on: buckets belong to projects (bucket listing filters on the project,
// as the real API does) and faults can be injected.
type GCS struct {
	// Fake is the fake-gcs-server; its Go methods (CreateObject, GetObject, ...) act directly on
	// the storage.
	Fake *fakestorage.Server
	srv  *httptest.Server

	mu     sync.Mutex
	owners map[string]string // bucket -> project
	faults []httpFault
	hits   map[string]int // "METHOD path" -> count, for tests
}

type httpFault struct {
	method, pathContains string
	status               int
	body                 string
	left                 int
}

// NewGCS starts a fake Cloud Storage on 127.0.0.1 (plain HTTP).
func NewGCS() (*GCS, error) {
	fake, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true, Writer: io.Discard})
	if err != nil {
		return nil, fmt.Errorf("failed to start fake-gcs-server: %w", err)
	}
	g := &GCS{Fake: fake, owners: map[string]string{}, hits: map[string]int{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	return g, nil
}

// Close stops the server.
func (g *GCS) Close() {
	g.srv.Close()
	g.Fake.Stop()
}

// URL is the base URL of the server, http://127.0.0.1:PORT.
func (g *GCS) URL() string { return g.srv.URL }

// Endpoint is the JSON API endpoint to give storage.NewClient (option.WithEndpoint); reads need
// storage.WithJSONReads().
func (g *GCS) Endpoint() string { return g.srv.URL + "/storage/v1/" }

// CreateBucket creates bucket in project.
func (g *GCS) CreateBucket(bucket, project string) {
	g.Fake.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket})
	g.mu.Lock()
	g.owners[bucket] = project
	g.mu.Unlock()
}

// BucketExists reports whether bucket exists.
func (g *GCS) BucketExists(bucket string) bool {
	_, err := g.Fake.Backend().GetBucket(bucket)
	return err == nil
}

// Owner returns the project bucket was created in ("" when unknown).
func (g *GCS) Owner(bucket string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.owners[bucket]
}

// Fail makes the next times requests whose method is method ("" for any) and whose path contains
// pathContains answer status with a Cloud Storage JSON error carrying message.
func (g *GCS) Fail(method, pathContains string, status, times int, message string) {
	body, _ := json.Marshal(map[string]any{"error": map[string]any{
		"code": status, "message": message,
		"errors": []map[string]string{{"message": message, "reason": reasonOf(status), "domain": "global"}},
	}})
	g.mu.Lock()
	defer g.mu.Unlock()
	g.faults = append(g.faults, httpFault{method: method, pathContains: pathContains, status: status, body: string(body), left: times})
}

func reasonOf(status int) string {
	switch status {
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusTooManyRequests:
		return "rateLimitExceeded"
	}
	return "backendError"
}

// Hits counts the requests served for "METHOD /path" (without the query).
func (g *GCS) Hits(methodPath string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.hits[methodPath]
}

func (g *GCS) serve(w http.ResponseWriter, r *http.Request) {
	apicalls.RecordStorage(r)
	g.mu.Lock()
	g.hits[r.Method+" "+r.URL.Path]++
	for i := range g.faults {
		f := &g.faults[i]
		if f.left > 0 && (f.method == "" || f.method == r.Method) && strings.Contains(r.URL.Path, f.pathContains) {
			f.left--
			g.mu.Unlock()
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.status)
			io.WriteString(w, f.body)
			return
		}
	}
	g.mu.Unlock()

	isBuckets := strings.TrimSuffix(r.URL.Path, "/") == "/storage/v1/b"
	switch {
	case isBuckets && r.Method == http.MethodPost:
		g.createBucket(w, r)
	case isBuckets && r.Method == http.MethodGet && r.URL.Query().Get("project") != "":
		g.listBuckets(w, r)
	default:
		g.Fake.HTTPHandler().ServeHTTP(w, r)
	}
}

// createBucket records the project a bucket is created in.
func (g *GCS) createBucket(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(body, &req)
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	g.Fake.HTTPHandler().ServeHTTP(rec, r)
	if rec.Code == http.StatusOK {
		g.mu.Lock()
		g.owners[req.Name] = r.URL.Query().Get("project")
		g.mu.Unlock()
	}
	copyResponse(w, rec)
}

// listBuckets keeps the buckets of the requested project only.
func (g *GCS) listBuckets(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	g.Fake.HTTPHandler().ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		copyResponse(w, rec)
		return
	}
	var resp map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	project := r.URL.Query().Get("project")
	items, _ := resp["items"].([]any)
	var kept []any
	g.mu.Lock()
	for _, it := range items {
		if b, ok := it.(map[string]any); ok && g.owners[fmt.Sprint(b["name"])] == project {
			kept = append(kept, it)
		}
	}
	g.mu.Unlock()
	if kept == nil {
		delete(resp, "items")
	} else {
		resp["items"] = kept
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}
