package cloudbuild

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"github.com/google/go-cmp/cmp"
	"github.com/twittix/infra/internal/testenv/fakecloudbuild"
	"github.com/twittix/infra/pkg/cloudbuild/subst"
	"github.com/twittix/infra/pkg/gcp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const image = "europe-west1-docker.pkg.dev/twittix-test/apps/api:v1"

func TestRunTagMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakecloudbuild.Options{})
	dir := tree(t, map[string]string{
		"Dockerfile":           "FROM scratch\nCOPY app /app\nRUN echo compiled\nRUN cat VERSION\n",
		"app":                  "binary",
		"VERSION":              "1.2.3\n",
		".gcloudignore":        "*.secret\n!keep.secret\n#!include:.gitignore\n",
		".gitignore":           "/node_modules/\n",
		"node_modules/x/a.js":  "x",
		"db.secret":            "s3cr3t",
		"keep.secret":          "public",
		"gha-creds-1a2b.json":  `{"type":"external_account"}`,
		"src/node_modules/b.s": "kept: the pattern is anchored",
	})
	res, err := e.client.Run(context.Background(), Request{Project: testProject, Region: "europe-west1", Dir: dir, Image: image})
	if err != nil {
		t.Fatalf("Run: %v\nlog:\n%s", err, e.log.text())
	}
	if res.Status != "SUCCESS" || len(res.Images) != 1 || res.Images[0].Name != image {
		t.Fatalf("result = %+v", res)
	}
	if got, want := res.ImagesJSON(), `["europe-west1-docker.pkg.dev/twittix-test/apps/api@`+res.Digest()+`"]`; got != want {
		t.Errorf("ImagesJSON = %s, want %s", got, want)
	}
	built := e.fake.Build(res.BuildID)
	if built.Results.Images[0].Digest != res.Digest() || !strings.HasPrefix(res.Digest(), "sha256:") {
		t.Errorf("digest = %q, the service says %q", res.Digest(), built.Results.Images[0].Digest)
	}
	if !strings.HasPrefix(built.Name, "projects/") || !strings.Contains(built.Name, "/locations/europe-west1/builds/") {
		t.Errorf("build name = %q, want a build of europe-west1", built.Name)
	}

	// The exact content of the upload.
	wantNames := []string{"src/", "src/node_modules/", ".gcloudignore", ".gitignore", "Dockerfile", "VERSION", "app", "keep.secret", "src/node_modules/b.s"}
	if diff := cmp.Diff(wantNames, e.uploadedNames(t, res.Source)); diff != "" {
		t.Errorf("uploaded entries (-want +got):\n%s", diff)
	}
	if res.Source.Bucket != "twittix-test_cloudbuild" || !strings.HasPrefix(res.Source.Object, "source/") || !strings.HasSuffix(res.Source.Object, ".tgz") {
		t.Errorf("staged at %s", res.Source.URL())
	}
	if owner := e.fake.GCS.Owner("twittix-test_cloudbuild"); owner != testProject {
		t.Errorf("the default bucket was created in %q, want %q", owner, testProject)
	}

	// Every log line of the build, in order, printed once, the step in its group.
	var fakeLines []string
	for _, l := range e.fake.Log(res.BuildID) {
		fakeLines = append(fakeLines, l.Text)
	}
	var printed []string
	for _, l := range e.log.logLines() {
		if !strings.HasPrefix(l, "Build "+res.BuildID+" is ") { // status changes, printed by the client
			printed = append(printed, l)
		}
	}
	first := slices.Index(printed, fakeLines[0])
	if first < 0 || len(printed) < first+len(fakeLines) {
		t.Fatalf("the build log is not printed in full:\n%s", e.log.text())
	}
	if diff := cmp.Diff(fakeLines, printed[first:first+len(fakeLines)]); diff != "" {
		t.Errorf("printed log (-service +printed):\n%s", diff)
	}
	events := e.log.text()
	for _, want := range []string{
		"group: Step #0 (gcr.io/cloud-builders/docker)\nline: Starting Step #0",
		"line: Step #0: compiled",
		"line: Step #0: 1.2.3",
		"line: Finished Step #0\nend\nline: PUSH",
	} {
		if !strings.Contains(events, want) {
			t.Errorf("log lacks %q:\n%s", want, events)
		}
	}
	if strings.Contains(events, "s3cr3t") {
		t.Error("an ignored file's content reached the log")
	}
}

func TestRunConfigModeSubstitutions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakecloudbuild.Options{})
	dir := tree(t, map[string]string{
		"Dockerfile": "FROM scratch\n",
		"cloudbuild.yaml": `steps:
- id: build
  name: gcr.io/cloud-builders/docker
  args: ['build', '-t', '${_REGISTRY}/api:$SHORT_SHA', '.']
- id: say
  name: ubuntu
  entrypoint: bash
  args: ['-c', 'echo project=$PROJECT_ID branch=$BRANCH_NAME tag=${_TAG} cost=$$5']
images: ['${_REGISTRY}/api:$SHORT_SHA']
`,
	})
	gh := subst.GitHub{SHA: "feedfacecafebeef", RefName: "main", RefType: "branch", Repository: "twittix/api"}
	res, err := e.client.Run(context.Background(), Request{Project: testProject, Dir: dir, Config: filepath.Join(dir, "cloudbuild.yaml"), GitHub: gh,
		Substitutions: map[string]string{"_REGISTRY": "gcr.io/twittix-test", "_TAG": "v9"}})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, e.log.text())
	}
	if got := res.Images[0].Name; got != "gcr.io/twittix-test/api:feedfac" {
		t.Errorf("image = %q, want the substituted name", got)
	}
	log := e.log.text()
	for _, want := range []string{
		`group: Step #0 "build" (gcr.io/cloud-builders/docker)`,
		`group: Step #1 "say" (ubuntu)`,
		`line: Step #1 - "say": project=twittix-test branch=main tag=v9 cost=$5`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if diff := cmp.Diff([]string{"SUCCESS", "SUCCESS"}, []string{res.Steps[0].Status, res.Steps[1].Status}); diff != "" {
		t.Errorf("steps: %s", diff)
	}
	// The steps' timings, for the summary's timeline: each step starts within the build, the
	// second after the first.
	end := res.Started.Add(res.Duration)
	for _, s := range res.Steps {
		if res.Started.IsZero() || s.Started.Before(res.Started) || s.Started.Add(s.Duration).After(end) || s.Duration <= 0 {
			t.Errorf("step %d ran %s from %s, outside the build's %s from %s", s.Index, s.Duration, s.Started, res.Duration, res.Started)
		}
	}
	if !res.Steps[1].Started.After(res.Steps[0].Started) {
		t.Errorf("step 1 started at %s, not after step 0 at %s", res.Steps[1].Started, res.Steps[0].Started)
	}
}

func TestRunFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakecloudbuild.Options{})
	config := func(t *testing.T, yaml string) string {
		dir := tree(t, map[string]string{"cloudbuild.yaml": yaml, "notes.txt": "line one\nline two\n"})
		return dir
	}
	tests := []struct {
		name       string
		yaml       string
		timeout    time.Duration
		status     string
		step       string // label of the failed step
		errHas     []string
		lastLineIs string
	}{
		{name: "step fails", yaml: "steps:\n- name: ubuntu\n  entrypoint: bash\n  args: ['-c', 'echo fine']\n- id: test\n  name: golang\n  entrypoint: bash\n  args: ['-c', 'cat notes.txt; echo FAIL: TestX; exit 2']\n",
			status: "FAILURE", step: `Step #1 "test" (golang)`, lastLineIs: `Finished Step #1 - "test"`,
			errHas: []string{`ended with FAILURE`, `build step 1 "golang" failed: step exited with non-zero status: 2`, "Last lines of the log:", `Step #1 - "test": FAIL: TestX`}},
		{name: "timeout", yaml: "steps:\n- id: slow\n  name: ubuntu\n  entrypoint: bash\n  args: ['-c', 'echo starting; sleep 60']\n", timeout: 300 * time.Millisecond,
			status: "TIMEOUT", step: `Step #0 "slow" (ubuntu)`, errHas: []string{"finished with status TIMEOUT", "raise the Timeout input", `Step #0 - "slow": starting`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := config(t, tc.yaml)
			res, err := e.client.Run(context.Background(), Request{Project: testProject, Dir: dir, Config: filepath.Join(dir, "cloudbuild.yaml"), Timeout: tc.timeout})
			var be *BuildError
			if !errors.As(err, &be) {
				t.Fatalf("Run() = %v, want a *BuildError", err)
			}
			if res == nil || res.Status != tc.status || be.Status != tc.status {
				t.Fatalf("status = %v / %v, want %s", res, be.Status, tc.status)
			}
			if be.Step == nil || be.Step.Label() != tc.step {
				t.Errorf("failed step = %+v, want %s", be.Step, tc.step)
			}
			for _, want := range tc.errHas {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if tc.lastLineIs != "" && be.LastLines[len(be.LastLines)-1] != tc.lastLineIs {
				t.Errorf("last line = %q, want %q", be.LastLines[len(be.LastLines)-1], tc.lastLineIs)
			}
		})
	}
}

func TestRunCancelledContextCancelsBuild(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakecloudbuild.Options{})
	dir := tree(t, map[string]string{"cloudbuild.yaml": "steps:\n- name: ubuntu\n  entrypoint: bash\n  args: ['-c', 'echo working; sleep 60']\n"})
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		for !strings.Contains(e.log.text(), "working") {
			time.Sleep(5 * time.Millisecond)
		}
		cancel(errors.New("SIGTERM"))
	}()
	res, err := e.client.Run(ctx, Request{Project: testProject, Dir: dir, Config: filepath.Join(dir, "cloudbuild.yaml")})
	if err == nil || !strings.Contains(err.Error(), "cancelled because the job was cancelled (SIGTERM)") {
		t.Fatalf("Run() = %v, want the cancellation", err)
	}
	if res == nil || res.Status != "CANCELLED" {
		t.Fatalf("result = %+v, want CANCELLED", res)
	}
	if got := e.fake.Calls("CancelBuild"); got != 1 {
		t.Errorf("CancelBuild called %d times, want 1", got)
	}
	if b := e.fake.Build(res.BuildID); b.Status != cloudbuildpb.Build_CANCELLED {
		t.Errorf("the service has the build %v", b.Status)
	}
}

func TestRunRetriesTransientErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakecloudbuild.Options{})
	e.fake.Fail("CreateBuild", status.New(codes.Unavailable, "backend unavailable"), 2)
	e.fake.Fail("GetBuild", status.New(codes.ResourceExhausted, "quota"), 3)
	e.fake.GCS.Fail("PUT", "/upload/storage/v1/", 503, 1, "backend error")
	dir := tree(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	res, err := e.client.Run(context.Background(), Request{Project: testProject, Dir: dir, Image: image})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Status != "SUCCESS" {
		t.Fatalf("status = %s", res.Status)
	}
	if got := e.fake.Calls("CreateBuild"); got != 3 {
		t.Errorf("CreateBuild called %d times, want 3 (two UNAVAILABLE, then success)", got)
	}
	if got := len(e.fake.Builds()); got != 1 {
		t.Errorf("%d builds created, want 1", got)
	}
	if !strings.Contains(e.log.text(), "warn: transient error, retrying") {
		t.Errorf("retries are not reported:\n%s", e.log.text())
	}
}

func TestRunPermissionDenied(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakecloudbuild.Options{})
	st, _ := status.New(codes.PermissionDenied, "The caller does not have permission").WithDetails(&errdetails.ErrorInfo{
		Reason: "IAM_PERMISSION_DENIED", Metadata: map[string]string{"permission": "cloudbuild.builds.create"}})
	e.fake.Fail("CreateBuild", st, 1)
	dir := tree(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	_, err := e.client.Run(context.Background(), Request{Project: testProject, Dir: dir, Image: image})
	var pe *gcp.PermissionError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "grant the role roles/cloudbuild.builds.editor") {
		t.Fatalf("Run() = %v, want a permission error naming the role", err)
	}
	if got := e.fake.Calls("CreateBuild"); got != 1 {
		t.Errorf("CreateBuild called %d times, want 1 (permission errors are not retried)", got)
	}
}

// TestRunUnknownRegion checks a well-formed region is not refused by the action but by the
// service, and that its refusal names the region input.
func TestRunUnknownRegion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakecloudbuild.Options{Regions: []string{"europe-west1", "asia-central7"}})
	dir := tree(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	ctx := context.Background()

	// A region added after gcp.Regions was written: the action lets the service decide.
	res, err := e.client.Run(ctx, Request{Project: testProject, Region: "asia-central7", Dir: dir, Image: image})
	if err != nil || res.Status != "SUCCESS" {
		t.Fatalf("Run(new region) = %v, %v; want success", res, err)
	}

	// A region the service does not serve: its INVALID_ARGUMENT, explained.
	_, err = e.client.Run(ctx, Request{Project: testProject, Region: "europe-west99", Dir: dir, Image: image})
	if err == nil || !strings.Contains(err.Error(), `Region: Cloud Build refused the build in "europe-west99", a region this action does not know (did you mean europe-west9?); check the Region input`) ||
		!strings.Contains(err.Error(), "Cloud Build is not available in this location") {
		t.Fatalf("Run(unknown region) = %v, want the service's refusal naming the region input", err)
	}
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("the error lost its code: %v", status.Code(err))
	}
	if got := len(e.fake.Builds()); got != 1 {
		t.Errorf("%d builds, want only the one in the served region", got)
	}
}

func TestRunStagingBuckets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakecloudbuild.Options{})
	dir := tree(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	ctx := context.Background()

	// The default bucket of another project is refused, as gcloud does.
	other := newEnv(t, fakecloudbuild.Options{})
	other.fake.GCS.CreateBucket("twittix-test_cloudbuild", "attacker-project")
	_, err := other.client.Run(ctx, Request{Project: testProject, Dir: dir, Image: image})
	if err == nil || !strings.Contains(err.Error(), "StagingDir: a bucket named twittix-test_cloudbuild already exists and is owned by another project; set StagingDir to a bucket of yours") {
		t.Fatalf("Run(default bucket of another project) = %v", err)
	}
	if n := len(other.fake.Builds()); n != 0 {
		t.Errorf("%d builds created with a foreign bucket", n)
	}

	// A given staging_dir is used as is (and created when missing).
	res, err := e.client.Run(ctx, Request{Project: testProject, Dir: dir, Image: image, StagingDir: "gs://ci-sources/api/"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Source.Bucket != "ci-sources" || !strings.HasPrefix(res.Source.Object, "api/") {
		t.Errorf("staged at %s", res.Source.URL())
	}
	src := e.fake.Build(res.BuildID).GetSource().GetStorageSource()
	if src.GetBucket() != "ci-sources" || src.GetObject() != res.Source.Object || src.GetGeneration() != res.Source.Generation {
		t.Errorf("the build's source is %v, want the uploaded object", src)
	}
}

func TestRunAsyncAndCloudLoggingOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakecloudbuild.Options{})
	dir := tree(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	res, err := e.client.Run(context.Background(), Request{Project: testProject, Dir: dir, Image: image, Async: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "QUEUED" || res.BuildID == "" || res.LogURL == "" || len(res.Images) != 0 {
		t.Errorf("async result = %+v, want the queued build", res)
	}

	res, err = e.client.Run(context.Background(), Request{Project: testProject, Dir: dir, Image: image, Logging: "CLOUD_LOGGING_ONLY"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "SUCCESS" || len(res.Images) != 1 {
		t.Errorf("result = %+v", res)
	}
	log := e.log.text()
	if !strings.Contains(log, "The build logs to Cloud Logging only (CLOUD_LOGGING_ONLY)") || strings.Contains(log, "Starting Step #0") {
		t.Errorf("log:\n%s", log)
	}
}

func TestListFiles(t *testing.T) {
	t.Parallel()
	dir := tree(t, map[string]string{".gitignore": "*.log\n", "main.go": "", "debug.log": "", "gha-creds-abc.json": "{}"})
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := ListFiles(Request{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"main.go"}, l.Paths()); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestRunInternalErrorAndExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakecloudbuild.Options{QueueDelay: 50 * time.Millisecond})
	dir := tree(t, map[string]string{
		"cloudbuild.yaml": "steps:\n- name: ubuntu\n  args: ['true']\n",
		"queued.yaml":     "steps:\n- name: ubuntu\n  args: ['true']\nqueueTtl: 0.01s\n",
	})
	e.fake.FailNextBuild(cloudbuildpb.Build_INTERNAL_ERROR, "worker lost")
	_, err := e.client.Run(context.Background(), Request{Project: testProject, Dir: dir, Config: filepath.Join(dir, "cloudbuild.yaml")})
	var be *BuildError
	if !errors.As(err, &be) || be.Status != "INTERNAL_ERROR" || be.Detail != "worker lost" {
		t.Errorf("Run(internal error) = %v", err)
	}
	_, err = e.client.Run(context.Background(), Request{Project: testProject, Dir: dir, Config: filepath.Join(dir, "queued.yaml")})
	if !errors.As(err, &be) || be.Status != "EXPIRED" || !strings.Contains(err.Error(), "waited in the queue longer than its queue TTL") {
		t.Errorf("Run(expired) = %v", err)
	}
}

func TestRunLogNotReadable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakecloudbuild.Options{})
	e.fake.GCS.Fail("GET", "/o/log-", 403, 1000, "ci@twittix-test.iam.gserviceaccount.com does not have storage.objects.get access to the Google Cloud Storage object. Permission 'storage.objects.get' denied on resource (or it may not exist).")
	dir := tree(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	res, err := e.client.Run(context.Background(), Request{Project: testProject, Dir: dir, Image: image})
	if err != nil || res.Status != "SUCCESS" {
		t.Fatalf("Run() = %v, %v; the build should finish although its log cannot be read", res, err)
	}
	warnings := 0
	for _, ev := range e.log.all() {
		if strings.HasPrefix(ev, "warn: failed to read the build log") {
			warnings++
			if !strings.Contains(ev, "grant the role roles/storage.objectViewer") {
				t.Errorf("warning does not name the role: %s", ev)
			}
		}
	}
	if warnings != 1 {
		t.Errorf("%d warnings about the log, want 1:\n%s", warnings, e.log.text())
	}
}
