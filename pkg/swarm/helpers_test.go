package swarm

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twittix/infra/internal/actiontest"

	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/twittix/infra/internal/testenv/dockertest"
	"github.com/twittix/infra/pkg/logging"
)

// testVariants are the image variants the tests deploy: twittix-test/app:v1, :v2, ...
var testVariants = []string{"v1", "v2", "v3"}

// env is what a Swarm test needs: a client of the real daemon, a unique stack, a directory for
// its compose files and a logger that keeps everything printed.
type env struct {
	t     *testing.T
	c     *client.Client
	stack string
	dir   string
	out   *syncBuffer
	log   logging.Logger
}

func newEnv(t *testing.T, prefix string) *env {
	t.Helper()
	t.Parallel()
	c := dockertest.RequireSwarm(t)
	dockertest.RequireImages(t, c, testVariants...)
	out := &syncBuffer{}
	e := &env{t: t, c: c, stack: dockertest.NewStack(t, c, prefix), dir: t.TempDir(), out: out, log: logging.New(out)}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("deploy output:\n%s", out.String())
		}
	})
	return e
}

// write writes a file of the test directory and returns its path. The compose templates use
// {{STACK}} for the stack name.
func (e *env) write(name, content string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(content, "{{STACK}}", e.stack)), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// options returns deploy options with short waits for tests.
func (e *env) options(files ...string) Options {
	o := DefaultOptions(e.stack, files...)
	o.Timeout = 60 * time.Second
	o.PollInterval = 200 * time.Millisecond
	o.ResolveImage = ResolveNever
	o.Holder = e.t.Name()
	return o
}

func (e *env) deploy(ctx context.Context, o Options) (*Result, error) {
	e.t.Helper()
	return Deploy(ctx, e.c, e.log, o)
}

// mustDeploy deploys and fails the test on error.
func (e *env) mustDeploy(o Options) *Result {
	e.t.Helper()
	res, err := e.deploy(context.Background(), o)
	if err != nil {
		e.t.Fatalf("Deploy: %v", err)
	}
	return res
}

// service returns the service <stack>_<name> as the daemon has it.
func (e *env) service(name string) swarm.Service {
	e.t.Helper()
	res, err := e.c.ServiceList(context.Background(), client.ServiceListOptions{
		Filters: make(client.Filters).Add("name", e.stack+"_"+name)})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, s := range res.Items {
		if s.Spec.Name == e.stack+"_"+name {
			return s
		}
	}
	e.t.Fatalf("service %s_%s does not exist", e.stack, name)
	return swarm.Service{}
}

// services returns the names of the stack's services.
func (e *env) services() []string {
	e.t.Helper()
	res, err := e.c.ServiceList(context.Background(), client.ServiceListOptions{Filters: stackFilter(e.stack)})
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, s := range res.Items {
		names = append(names, s.Spec.Name)
	}
	return sortedStrings(names)
}

// runningImages returns the images of the stack service's running tasks.
func (e *env) runningImages(name string) []string {
	e.t.Helper()
	svc := e.service(name)
	res, err := e.c.TaskList(context.Background(), client.TaskListOptions{
		Filters: make(client.Filters).Add("service", svc.ID).Add("desired-state", "running")})
	if err != nil {
		e.t.Fatal(err)
	}
	var images []string
	for _, t := range res.Items {
		if t.Status.State == swarm.TaskStateRunning {
			images = append(images, t.Spec.ContainerSpec.Image)
		}
	}
	return sortedStrings(images)
}

func sortedStrings(s []string) []string { return slices.Sorted(slices.Values(s)) }

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer = actiontest.SyncBuffer

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func decodeAuthForTest(s string) (*registry.AuthConfig, error) { return authconfig.Decode(s) }

// faultyClient is the real daemon's client with some calls replaced, to make the daemon do what it
// cannot be made to do on demand: hang, or fail. A nil hook calls the daemon.
type faultyClient struct {
	Client
	taskList            func(ctx context.Context, opts client.TaskListOptions) (client.TaskListResult, error)
	serviceUpdate       func(ctx context.Context, id string, opts client.ServiceUpdateOptions) (client.ServiceUpdateResult, error)
	distributionInspect func(ctx context.Context, image string, opts client.DistributionInspectOptions) (client.DistributionInspectResult, error)
	taskLogs            func(ctx context.Context, id string, opts client.TaskLogsOptions) (client.TaskLogsResult, error)
	serviceList         func(ctx context.Context, opts client.ServiceListOptions) (client.ServiceListResult, error)
}

// ServiceList is replaced by the serviceList hook when set.
func (f *faultyClient) ServiceList(ctx context.Context, opts client.ServiceListOptions) (client.ServiceListResult, error) {
	if f.serviceList != nil {
		return f.serviceList(ctx, opts)
	}
	return f.Client.ServiceList(ctx, opts)
}

func (f *faultyClient) TaskList(ctx context.Context, opts client.TaskListOptions) (client.TaskListResult, error) {
	if f.taskList != nil {
		return f.taskList(ctx, opts)
	}
	return f.Client.TaskList(ctx, opts)
}

func (f *faultyClient) ServiceUpdate(ctx context.Context, id string, opts client.ServiceUpdateOptions) (client.ServiceUpdateResult, error) {
	if f.serviceUpdate != nil {
		return f.serviceUpdate(ctx, id, opts)
	}
	return f.Client.ServiceUpdate(ctx, id, opts)
}

func (f *faultyClient) DistributionInspect(ctx context.Context, image string, opts client.DistributionInspectOptions) (client.DistributionInspectResult, error) {
	if f.distributionInspect != nil {
		return f.distributionInspect(ctx, image, opts)
	}
	return f.Client.DistributionInspect(ctx, image, opts)
}

// TaskLogs is replaced by the taskLogs hook when set.
func (f *faultyClient) TaskLogs(ctx context.Context, id string, opts client.TaskLogsOptions) (client.TaskLogsResult, error) {
	if f.taskLogs != nil {
		return f.taskLogs(ctx, id, opts)
	}
	return f.Client.TaskLogs(ctx, id, opts)
}
