package swarm

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/client"
	"github.com/twittix/infra/internal/testenv/dockertest"
)

// recorder keeps the requests a real client sends to the daemon.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, path, auth string
	query              url.Values
}

func (r *recorder) hook(req *http.Request) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	path := req.URL.Path
	if i := strings.Index(path[1:], "/"); strings.HasPrefix(path, "/v1.") && i > 0 {
		path = path[i+1:] // drop the /v1.xx prefix
	}
	r.reqs = append(r.reqs, recorded{req.Method, path, req.Header.Get("X-Registry-Auth"), req.URL.Query()})
	return nil
}

func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

// recordingClient returns a client of the test daemon whose requests are recorded.
func recordingClient(t *testing.T) (*client.Client, *recorder) {
	t.Helper()
	rec := &recorder{}
	c, err := client.New(client.WithHost(dockertest.Host()), client.WithHTTPRequestHook(rec.hook))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, rec
}

func TestRegistryAuthAndResolveImage(t *testing.T) {
	e := newEnv(t, "auth")
	const image = "localhost:5999/twittix-test/app:v1"
	if _, err := e.c.ImageTag(t.Context(), client.ImageTagOptions{Source: "twittix-test/app:v1", Target: image}); err != nil {
		t.Fatal(err)
	}
	c, rec := recordingClient(t)
	const password = "hunter2-registry-password"
	o := e.options(e.write("compose.yml", `
version: "3.9"
services:
  web:
    image: `+image+`
    deploy:
      endpoint_mode: dnsrr
      update_config: {monitor: 500ms}
`))
	o.ResolveImage = ResolveAlways
	o.WithRegistryAuth = true
	o.Registries = []RegistryCredential{
		{Server: "ghcr.io", Username: "someone-else", Password: "not-this-one"},
		{Server: "http://localhost:5999/", Username: "deployer", Password: password},
	}
	res, err := Deploy(t.Context(), c, e.log, o)
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}

	// No registry answers here: resolution degrades as docker's does, with a warning and the tag.
	if !strings.Contains(e.out.String(), "could not be accessed on a registry to record its digest") {
		t.Errorf("no warning about the unreachable registry in:\n%s", e.out.String())
	}
	if got := e.service("web").Spec.TaskTemplate.ContainerSpec.Image; got != image {
		t.Errorf("image = %q, want the tag %q", got, image)
	}
	sent := map[string]string{}
	for _, r := range rec.requests() {
		if r.auth != "" {
			sent[r.method+" "+r.path] = r.auth
		}
	}
	for _, call := range []string{"POST /services/create", "GET /distribution/" + image + "/json"} {
		auth, ok := sent[call]
		if !ok {
			t.Errorf("%s carried no registry auth (sent with: %v)", call, sent)
			continue
		}
		ac, err := authconfig.Decode(auth)
		if err != nil {
			t.Fatal(err)
		}
		if ac.Username != "deployer" || ac.Password != password || ac.ServerAddress != "localhost:5999" {
			t.Errorf("%s auth = %s@%s, want deployer@localhost:5999 with its password", call, ac.Username, ac.ServerAddress)
		}
	}
	for name, text := range map[string]string{"log": e.out.String(), "result": resultJSON(t, res)} {
		if strings.Contains(text, password) {
			t.Errorf("the registry password appears in the %s", name)
		}
	}
}

func TestWaitListsTasksOncePerPoll(t *testing.T) {
	e := newEnv(t, "polls")
	c, rec := recordingClient(t)
	compose := "version: \"3.9\"\nservices:\n"
	for _, name := range []string{"a", "b", "c", "d"} {
		compose += "  " + name + ":\n    image: twittix-test/app:v1\n    deploy:\n      endpoint_mode: dnsrr\n      update_config: {monitor: 500ms}\n"
	}
	if _, err := Deploy(t.Context(), c, e.log, e.options(e.write("compose.yml", compose))); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	var serviceLists, taskLists int
	for _, r := range rec.requests() {
		switch {
		case r.method == "GET" && r.path == "/services":
			serviceLists++
		case r.method == "GET" && r.path == "/tasks":
			taskLists++
			want := `{"_up-to-date":{"true":true},"label":{"com.docker.stack.namespace=` + e.stack + `":true}}`
			if got := r.query.Get("filters"); got != want {
				t.Errorf("task list filters = %s, want the whole stack's up-to-date tasks %s", got, want)
			}
		}
	}
	// Each poll lists services once and tasks once; planning, garbage collection and the final
	// state add three service lists.
	if taskLists == 0 || serviceLists != taskLists+3 {
		t.Errorf("%d service lists and %d task lists for 4 services, want one of each per poll (+3 service lists)", serviceLists, taskLists)
	}
	if got := len(e.services()); !cmp.Equal(got, 4) {
		t.Errorf("services = %d, want 4", got)
	}
}
