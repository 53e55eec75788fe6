package fakecloudbuild

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cloudbuild "cloud.google.com/go/cloudbuild/apiv1/v2"
	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"cloud.google.com/go/storage"
	"github.com/google/go-cmp/cmp"
	"github.com/twittix/infra/pkg/cloudbuild/source"
	"github.com/twittix/infra/pkg/gcp"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

const project = "fake-project"

// clients connects the real Go clients to the fake through pkg/gcp, as the action does.
func clients(t *testing.T, s *Server) (*cloudbuild.Client, *storage.Client) {
	t.Helper()
	ctx := context.Background()
	sess, err := gcp.Connect(ctx, s.GCPConfig(project))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := cloudbuild.NewClient(ctx, sess.ClientOptions(gcp.CloudBuild)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cb.Close() })
	st, err := storage.NewClient(ctx, append(sess.ClientOptions(gcp.Storage), storage.WithJSONReads())...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return cb, st
}

// upload packs files and uploads them as gs://bucket/src.tgz.
func upload(t *testing.T, st *storage.Client, bucket string, files map[string]string) *cloudbuildpb.Source {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := source.List(dir, source.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.Bucket(bucket).Create(ctx, project, nil); err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
	w := st.Bucket(bucket).Object("src.tgz").NewWriter(ctx)
	if _, err := source.Pack(ctx, l, w, source.PackOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &cloudbuildpb.Source{Source: &cloudbuildpb.Source_StorageSource{StorageSource: &cloudbuildpb.StorageSource{Bucket: bucket, Object: "src.tgz"}}}
}

func TestTagBuildSucceeds(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	cb, st := clients(t, s)
	ctx := context.Background()
	src := upload(t, st, "fake-project_cloudbuild", map[string]string{"Dockerfile": "FROM scratch\nCOPY app /app\nRUN echo built\n", "app": "binary"})
	image := "europe-west1-docker.pkg.dev/fake-project/apps/api:v1"
	op, err := cb.CreateBuild(ctx, &cloudbuildpb.CreateBuildRequest{
		Parent: "projects/" + project + "/locations/europe-west1",
		Build: &cloudbuildpb.Build{
			Source: src,
			Steps:  []*cloudbuildpb.BuildStep{{Name: "gcr.io/cloud-builders/docker", Args: []string{"build", "--network", "cloudbuild", "--no-cache", "-t", image, "."}}},
			Images: []string{image},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	md, err := op.Metadata()
	if err != nil || md.GetBuild().GetId() == "" {
		t.Fatalf("operation metadata = %v, %v; want the build", md, err)
	}
	if got := md.GetBuild().GetStatus(); got != cloudbuildpb.Build_QUEUED {
		t.Errorf("status at creation = %v, want QUEUED", got)
	}
	b, err := op.Wait(ctx) // through google.longrunning.Operations
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if b.Status != cloudbuildpb.Build_SUCCESS || len(b.Results.GetImages()) != 1 {
		t.Fatalf("build = %v with images %v, want SUCCESS with one image", b.Status, b.Results.GetImages())
	}
	if img := b.Results.Images[0]; img.Name != image || !strings.HasPrefix(img.Digest, "sha256:") || len(img.Digest) != 71 {
		t.Errorf("result image = %v", img)
	}
	if b.Steps[0].Status != cloudbuildpb.Build_SUCCESS || b.Steps[0].Timing.GetEndTime() == nil {
		t.Errorf("step = %v", b.Steps[0])
	}
	logObj := "log-" + b.Id + ".txt"
	bucket := strings.TrimPrefix(b.LogsBucket, "gs://")
	r, err := st.Bucket(bucket).Object(logObj).NewReader(ctx)
	if err != nil {
		t.Fatalf("reading the log object: %v", err)
	}
	logText, _ := io.ReadAll(r)
	r.Close()
	for _, want := range []string{`starting build "` + b.Id + `"`, "FETCHSOURCE", `Step #0: Step 3/3 : RUN echo built`, "Step #0: built", "Successfully tagged " + image, "PUSH", "DONE"} {
		if !bytes.Contains(logText, []byte(want)) {
			t.Errorf("log lacks %q:\n%s", want, logText)
		}
	}
}

func TestBuildOutcomes(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	cb, st := clients(t, s)
	src := upload(t, st, "outcomes-src", map[string]string{"hello.txt": "hello\n"})
	shell := func(script string) *cloudbuildpb.BuildStep {
		return &cloudbuildpb.BuildStep{Name: "ubuntu", Entrypoint: "bash", Args: []string{"-c", script}}
	}
	tests := []struct {
		name    string
		build   *cloudbuildpb.Build
		cancel  bool
		want    cloudbuildpb.Build_Status
		logHas  string
		stepEnd []cloudbuildpb.Build_Status
	}{
		{name: "failure", build: &cloudbuildpb.Build{Steps: []*cloudbuildpb.BuildStep{shell("cat hello.txt"), shell("echo boom; exit 3"), shell("echo never")}},
			want: cloudbuildpb.Build_FAILURE, logHas: `build step 1 "ubuntu" failed: step exited with non-zero status: 3`,
			stepEnd: []cloudbuildpb.Build_Status{cloudbuildpb.Build_SUCCESS, cloudbuildpb.Build_FAILURE, cloudbuildpb.Build_QUEUED}},
		{name: "build timeout", build: &cloudbuildpb.Build{Timeout: durationpb.New(100 * time.Millisecond), Steps: []*cloudbuildpb.BuildStep{shell("sleep 30")}},
			want: cloudbuildpb.Build_TIMEOUT, logHas: "TIMEOUT"},
		{name: "step timeout", build: &cloudbuildpb.Build{Steps: []*cloudbuildpb.BuildStep{{Name: "ubuntu", Entrypoint: "bash", Args: []string{"-c", "sleep 30"}, Timeout: durationpb.New(100 * time.Millisecond)}}},
			want: cloudbuildpb.Build_TIMEOUT},
		{name: "cancel", build: &cloudbuildpb.Build{Steps: []*cloudbuildpb.BuildStep{shell("sleep 30")}}, cancel: true,
			want: cloudbuildpb.Build_CANCELLED, stepEnd: []cloudbuildpb.Build_Status{cloudbuildpb.Build_CANCELLED}},
		{name: "expired", build: &cloudbuildpb.Build{QueueTtl: durationpb.New(time.Nanosecond), Steps: []*cloudbuildpb.BuildStep{shell("true")}},
			want: cloudbuildpb.Build_EXPIRED},
		{name: "missing source", build: &cloudbuildpb.Build{Source: &cloudbuildpb.Source{Source: &cloudbuildpb.Source_StorageSource{StorageSource: &cloudbuildpb.StorageSource{Bucket: "outcomes-src", Object: "gone.tgz"}}},
			Steps: []*cloudbuildpb.BuildStep{shell("true")}}, want: cloudbuildpb.Build_FAILURE, logHas: "failed to fetch source"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.build.Source == nil {
				tc.build.Source = src
			}
			op, err := cb.CreateBuild(ctx, &cloudbuildpb.CreateBuildRequest{ProjectId: project, Build: tc.build})
			if err != nil {
				t.Fatal(err)
			}
			md, _ := op.Metadata()
			id := md.GetBuild().GetId()
			if tc.cancel {
				waitFor(t, func() bool { return len(s.Log(id)) > 5 })
				if _, err := cb.CancelBuild(ctx, &cloudbuildpb.CancelBuildRequest{ProjectId: project, Id: id}); err != nil {
					t.Fatal(err)
				}
			}
			b, err := s.WaitDone(id, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if b.Status != tc.want {
				t.Fatalf("status = %v (%s), want %v", b.Status, b.StatusDetail, tc.want)
			}
			var text []string
			for _, l := range s.Log(id) {
				text = append(text, l.Text)
			}
			if tc.logHas != "" && !strings.Contains(strings.Join(text, "\n"), tc.logHas) {
				t.Errorf("log lacks %q:\n%s", tc.logHas, strings.Join(text, "\n"))
			}
			for i, want := range tc.stepEnd {
				if got := b.Steps[i].Status; got != want {
					t.Errorf("step %d status = %v, want %v", i, got, want)
				}
			}
		})
	}
}

func TestCreateBuildValidation(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{Projects: map[string]int64{project: 42}, StrictProjects: true})
	cb, _ := clients(t, s)
	step := []*cloudbuildpb.BuildStep{{Name: "ubuntu", Args: []string{"echo", "$_USED"}}}
	tests := []struct {
		name    string
		req     *cloudbuildpb.CreateBuildRequest
		code    codes.Code
		message string
	}{
		{name: "unused substitution", req: &cloudbuildpb.CreateBuildRequest{ProjectId: project, Build: &cloudbuildpb.Build{Steps: step, Substitutions: map[string]string{"_USED": "1", "_EXTRA": "2"}}},
			code: codes.InvalidArgument, message: `key "_EXTRA" in the substitution data is not matched in the template`},
		{name: "loose substitutions allowed", req: &cloudbuildpb.CreateBuildRequest{ProjectId: project, Build: &cloudbuildpb.Build{Steps: step, Substitutions: map[string]string{"_USED": "1", "_EXTRA": "2"},
			Options: &cloudbuildpb.BuildOptions{SubstitutionOption: cloudbuildpb.BuildOptions_ALLOW_LOOSE}}}, code: codes.OK},
		{name: "no steps", req: &cloudbuildpb.CreateBuildRequest{ProjectId: project, Build: &cloudbuildpb.Build{}}, code: codes.InvalidArgument, message: "no build steps are specified"},
		{name: "unknown region", req: &cloudbuildpb.CreateBuildRequest{Parent: "projects/" + project + "/locations/mars-north1", Build: &cloudbuildpb.Build{Steps: step, Substitutions: map[string]string{"_USED": "1"}}},
			code: codes.InvalidArgument, message: `invalid location "mars-north1"`},
		{name: "unknown project", req: &cloudbuildpb.CreateBuildRequest{ProjectId: "someone-else", Build: &cloudbuildpb.Build{Steps: step}},
			code: codes.PermissionDenied, message: "Permission 'cloudbuild.builds.create' denied"},
		{name: "service account without logs bucket", req: &cloudbuildpb.CreateBuildRequest{ProjectId: project, Build: &cloudbuildpb.Build{Steps: step, Substitutions: map[string]string{"_USED": "1"},
			ServiceAccount: "projects/fake-project/serviceAccounts/builder@fake-project.iam.gserviceaccount.com"}}, code: codes.InvalidArgument, message: "if 'build.service_account' is specified"},
		{name: "worker pool elsewhere", req: &cloudbuildpb.CreateBuildRequest{Parent: "projects/" + project + "/locations/us-central1", Build: &cloudbuildpb.Build{Steps: step, Substitutions: map[string]string{"_USED": "1"},
			Options: &cloudbuildpb.BuildOptions{Pool: &cloudbuildpb.BuildOptions_PoolOption{Name: "projects/fake-project/locations/europe-west1/workerPools/p"}}}}, code: codes.InvalidArgument, message: "builds run in the region of their worker pool"},
		{name: "bad image", req: &cloudbuildpb.CreateBuildRequest{ProjectId: project, Build: &cloudbuildpb.Build{Steps: []*cloudbuildpb.BuildStep{{Name: "ubuntu"}}, Images: []string{"Bad Image"}}},
			code: codes.InvalidArgument, message: `invalid image name "Bad Image"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cb.CreateBuild(context.Background(), tc.req)
			if got := status.Code(err); got != tc.code {
				t.Fatalf("code = %v (%v), want %v", got, err, tc.code)
			}
			if tc.message != "" && !strings.Contains(err.Error(), tc.message) {
				t.Errorf("error = %v, want it to contain %q", err, tc.message)
			}
		})
	}
}

func TestInjectedFaults(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	cb, _ := clients(t, s)
	s.Fail("GetBuild", status.New(codes.NotFound, "injected"), 1)
	_, err := cb.GetBuild(context.Background(), &cloudbuildpb.GetBuildRequest{ProjectId: project, Id: "x"})
	if status.Code(err) != codes.NotFound || !strings.Contains(err.Error(), "injected") {
		t.Fatalf("GetBuild = %v, want the injected fault", err)
	}
	if got := s.Calls("GetBuild"); got != 1 {
		t.Errorf("Calls(GetBuild) = %d, want 1", got)
	}
	s.FailNextBuild(cloudbuildpb.Build_INTERNAL_ERROR, "worker lost")
	op, err := cb.CreateBuild(context.Background(), &cloudbuildpb.CreateBuildRequest{ProjectId: project, Build: &cloudbuildpb.Build{Steps: []*cloudbuildpb.BuildStep{{Name: "ubuntu"}}}})
	if err != nil {
		t.Fatal(err)
	}
	md, _ := op.Metadata()
	b, err := s.WaitDone(md.GetBuild().GetId(), 10*time.Second)
	if err != nil || b.Status != cloudbuildpb.Build_INTERNAL_ERROR || b.StatusDetail != "worker lost" {
		t.Fatalf("build = %v %q, %v; want INTERNAL_ERROR", b.GetStatus(), b.GetStatusDetail(), err)
	}
}

// TestAnswersLostAfterTheCall checks FailAfter and HangAfter apply the call before the caller
// sees the fault, and Hang does not.
func TestAnswersLostAfterTheCall(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	cb, _ := clients(t, s)
	req := &cloudbuildpb.CreateBuildRequest{ProjectId: project, Build: &cloudbuildpb.Build{Steps: []*cloudbuildpb.BuildStep{{Name: "ubuntu"}}}}

	s.FailAfter("CreateBuild", status.New(codes.Unavailable, "answer lost"), 1)
	if _, err := cb.CreateBuild(context.Background(), req); status.Code(err) != codes.Unavailable {
		t.Fatalf("CreateBuild = %v, want UNAVAILABLE", err)
	}
	if got := len(s.Builds()); got != 1 {
		t.Fatalf("%d builds after a lost answer, want 1: the call took effect", got)
	}

	for _, tc := range []struct {
		hang   func(string, int)
		builds int
	}{{hang: s.Hang, builds: 1}, {hang: s.HangAfter, builds: 2}} {
		tc.hang("CreateBuild", 1)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_, err := cb.CreateBuild(ctx, req)
		cancel()
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("CreateBuild = %v, want the caller's deadline", err)
		}
		if got := len(s.Builds()); got != tc.builds {
			t.Errorf("%d builds, want %d", got, tc.builds)
		}
	}
}

func TestListBuildsFilter(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	cb, _ := clients(t, s)
	ctx := context.Background()
	create := func(location string, tags ...string) string {
		t.Helper()
		op, err := cb.CreateBuild(ctx, &cloudbuildpb.CreateBuildRequest{Parent: "projects/" + project + "/locations/" + location,
			Build: &cloudbuildpb.Build{Steps: []*cloudbuildpb.BuildStep{{Name: "ubuntu"}}, Tags: tags}})
		if err != nil {
			t.Fatal(err)
		}
		md, _ := op.Metadata()
		return md.GetBuild().GetId()
	}
	a := create("europe-west1", "api", "gha-1-1-aaaa")
	b := create("europe-west1", "api", "gha-1-1-bbbb")
	c := create("us-central1", "gha-1-1-aaaa")
	list := func(location, filter string) ([]string, error) {
		it := cb.ListBuilds(ctx, &cloudbuildpb.ListBuildsRequest{Parent: "projects/" + project + "/locations/" + location, Filter: filter, PageSize: 1})
		var ids []string
		for {
			b, err := it.Next()
			if errors.Is(err, iterator.Done) {
				return ids, nil
			}
			if err != nil {
				return ids, err
			}
			ids = append(ids, b.Id)
		}
	}
	for _, tc := range []struct {
		location, filter string
		want             []string
	}{
		{location: "europe-west1", filter: `tags="gha-1-1-aaaa"`, want: []string{a}},
		{location: "us-central1", filter: `tags="gha-1-1-aaaa"`, want: []string{c}},
		{location: "europe-west1", filter: `tags=api`, want: []string{b, a}}, // newest first, paged
		{location: "europe-west1", filter: `tags="api" AND build_id!="` + b + `"`, want: []string{a}},
		{location: "europe-west1", filter: "", want: []string{b, a}},
		{location: "europe-west1", filter: `tags="nothing"`, want: nil},
	} {
		got, err := list(tc.location, tc.filter)
		if err != nil {
			t.Fatalf("ListBuilds(%s, %s): %v", tc.location, tc.filter, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ListBuilds(%s, %s) (-want +got):\n%s", tc.location, tc.filter, diff)
		}
	}
	if _, err := list("europe-west1", `color="red"`); status.Code(err) != codes.InvalidArgument {
		t.Errorf("ListBuilds(unknown field) = %v, want INVALID_ARGUMENT", err)
	}
}

func TestBucketsBelongToProjects(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	_, st := clients(t, s)
	ctx := context.Background()
	s.GCS.CreateBucket("taken_cloudbuild", "another-project")
	if err := st.Bucket("mine").Create(ctx, project, nil); err != nil {
		t.Fatal(err)
	}
	var names []string
	it := st.Buckets(ctx, project)
	for {
		attrs, err := it.Next()
		if err != nil {
			break
		}
		names = append(names, attrs.Name)
	}
	if strings.Join(names, ",") != "mine" {
		t.Errorf("buckets of %s = %v, want [mine]", project, names)
	}
	if err := st.Bucket("taken_cloudbuild").Create(ctx, project, nil); err == nil {
		t.Error("creating a bucket that exists succeeded")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
