package cloudbuild

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	cbapi "cloud.google.com/go/cloudbuild/apiv1/v2"
	"cloud.google.com/go/storage"
	"github.com/twittix/infra/internal/testenv/fakecloudbuild"
	testtree "github.com/twittix/infra/internal/testenv/tree"
	"github.com/twittix/infra/pkg/gcp"
)

const testProject = "twittix-test"

// recorder is a logging.Logger that keeps what it is told, groups included.
type recorder struct {
	mu     sync.Mutex
	events []string // "line: ...", "warn: ...", "group: ...", "end"
	times  map[string]time.Time
}

func (r *recorder) Infof(format string, args ...any) {
	r.add("line: " + fmt.Sprintf(format, args...))
}

func (r *recorder) Warnf(format string, args ...any) { r.add("warn: " + fmt.Sprintf(format, args...)) }

func (r *recorder) Group(title string) func() {
	r.add("group: " + title)
	return func() { r.add("end") }
}

func (r *recorder) add(e string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	if r.times == nil {
		r.times = map[string]time.Time{}
	}
	if _, seen := r.times[e]; !seen {
		r.times[e] = time.Now()
	}
}

// all returns the events so far.
func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

// text is every event, one per line.
func (r *recorder) text() string { return strings.Join(r.all(), "\n") }

// env is a fake Cloud Build and Cloud Storage, and a Client reaching them through the real Go
// clients built from pkg/gcp options.
type env struct {
	fake   *fakecloudbuild.Server
	client *Client
	store  *storage.Client
	log    *recorder
}

func newEnv(t *testing.T, opts fakecloudbuild.Options) *env {
	t.Helper()
	ctx := context.Background()
	fake := fakecloudbuild.Start(t, opts)
	sess, err := gcp.Connect(ctx, fake.GCPConfig(testProject))
	if err != nil {
		t.Fatal(err)
	}
	builds, err := cbapi.NewClient(ctx, sess.ClientOptions(gcp.CloudBuild)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { builds.Close() })
	st, err := storage.NewClient(ctx, append(sess.ClientOptions(gcp.Storage), storage.WithJSONReads())...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rec := &recorder{}
	retry := gcp.RetryPolicy{Attempts: 4, Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond, Multiplier: 2}
	c := New(builds, st, Options{Logger: rec, Retry: &retry, LogPoll: 20 * time.Millisecond, StatusPoll: 30 * time.Millisecond, CancelTimeout: 5 * time.Second})
	return &env{fake: fake, client: c, store: st, log: rec}
}

// tree writes files (name -> content) into a new directory.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	return testtree.Write(t, testtree.Files(files))
}

// uploadedNames lists the entries of the uploaded archive, as Cloud Build will unpack it.
func (e *env) uploadedNames(t *testing.T, st *Staged) []string {
	t.Helper()
	r, err := e.store.Bucket(st.Bucket).Object(st.Object).NewReader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	zr, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
}

// logLines are the lines the recorder printed, without groups and other events.
func (r *recorder) logLines() []string {
	var out []string
	for _, e := range r.all() {
		if l, ok := strings.CutPrefix(e, "line: "); ok {
			out = append(out, l)
		}
	}
	return out
}
