package cloudbuild

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"github.com/google/go-cmp/cmp"
	"github.com/twittix/infra/pkg/cloudbuild/subst"
	"github.com/twittix/infra/pkg/field"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
)

func TestValidateImage(t *testing.T) {
	t.Parallel()
	for name, ok := range map[string]bool{
		"europe-west1-docker.pkg.dev/p/repo/api:v1":      true,
		"us-docker.pkg.dev/p/repo/team/api":              true,
		"gcr.io/my-project/api:latest":                   true,
		"eu.gcr.io/my-project/api":                       true,
		"gcr.io/example.com/my-project/api":              true,
		"europe-west1-docker.pkg.dev/p/api":              false, // no repository
		"gcr.io/api":                                     false, // no project
		"docker.io/library/nginx":                        false,
		"nginx":                                          false,
		"gcr.io/p/api@sha256:" + strings.Repeat("a", 64): false,
		"gcr.io/p/API":                                   false,
	} {
		if err := ValidateImage(name); (err == nil) != ok {
			t.Errorf("ValidateImage(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestRequestValidate(t *testing.T) {
	t.Parallel()
	bad := Request{
		Project:        "Bad_Project",
		Image:          "docker.io/nginx",
		Config:         "cloudbuild.yaml",
		Region:         "Europe West 1",
		WorkerPool:     "a/pool",
		ServiceAccount: "not-an-email",
		MachineType:    "huge",
		Logging:        "loud",
		Timeout:        25 * time.Hour,
		LogsBucket:     "gs://Bad Bucket",
		StagingDir:     "gs://x",
		Tags:           []string{"ok", "not ok"},
		Substitutions:  map[string]string{"lower": "x"},
	}
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want errors")
	}
	var named []string
	for _, line := range strings.Split(err.Error(), "\n") {
		name, _, _ := strings.Cut(line, ":")
		named = append(named, name)
	}
	want := []field.Name{FieldProject, FieldImage, FieldRegion, FieldWorkerPool, FieldServiceAccount, FieldMachineType, FieldLogging, FieldTimeout, FieldLogsBucket, FieldStagingDir, FieldTags, FieldSubstitutions}
	if diff := cmp.Diff(want, fieldsOf(err)); diff != "" {
		t.Errorf("fields of the errors (-want +got):\n%s\nerrors:\n%v", diff, err)
	}
	if !cmp.Equal(named, fieldNames(want)) {
		t.Errorf("messages name %q, want the fields %q", named, want)
	}

	good := Request{Project: "my-project", Image: "gcr.io/my-project/api", WorkerPool: "projects/my-project/locations/europe-west1/workerPools/p",
		ServiceAccount: "b@my-project.iam.gserviceaccount.com", MachineType: "E2_HIGHCPU_8", Logging: "cloud-logging-only", Tags: []string{"v1.2", "main"}}
	valid, err := good.Check()
	if err != nil {
		t.Fatalf("Check(good) = %v", err)
	}
	if got := valid.Request().Region; got != "europe-west1" {
		t.Errorf("Region = %q, want the worker pool's region", got)
	}
	if got := valid.Location(); got != "europe-west1" {
		t.Errorf("Location() = %q, want the worker pool's region", got)
	}
	if good.Region != "" {
		t.Errorf("Check changed the request it was given: Region = %q", good.Region)
	}
	if err := good.Validate(); err != nil {
		t.Errorf("Validate(good) = %v", err)
	}
	mismatch := Request{Project: "my-project", Image: "gcr.io/my-project/api", Region: "us-central1", WorkerPool: "projects/my-project/locations/europe-west1/workerPools/p"}
	if err := mismatch.Validate(); err == nil || !strings.Contains(err.Error(), "builds run in their pool's region") {
		t.Errorf("Validate(pool in another region) = %v", err)
	}
}

func TestPrepareTagMode(t *testing.T) {
	t.Parallel()
	dir := tree(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	image := "europe-west1-docker.pkg.dev/p/r/api:abc"
	got, err := Prepare(Request{Project: "p-project", Dir: dir, Image: image, Timeout: 20 * time.Minute, MachineType: "e2-highcpu-8", Tags: []string{"api"}})
	if err != nil {
		t.Fatal(err)
	}
	want := &cloudbuildpb.Build{
		Steps:   []*cloudbuildpb.BuildStep{{Name: "gcr.io/cloud-builders/docker", Args: []string{"build", "--network", "cloudbuild", "--no-cache", "-t", image, "."}}},
		Images:  []string{image},
		Timeout: durationpb.New(20 * time.Minute),
		Options: &cloudbuildpb.BuildOptions{MachineType: cloudbuildpb.BuildOptions_E2_HIGHCPU_8},
		Tags:    []string{"api"},
	}
	if diff := cmp.Diff(want, got.Build, protocmp.Transform()); diff != "" {
		t.Errorf("build mismatch (-want +got):\n%s", diff)
	}

	_, err = Prepare(Request{Project: "p-project", Dir: t.TempDir(), Image: image})
	if err == nil || !strings.Contains(err.Error(), "no Dockerfile") {
		t.Errorf("Prepare(no Dockerfile) = %v", err)
	}
}

func TestPrepareConfigMode(t *testing.T) {
	t.Parallel()
	gh := subst.GitHub{SHA: "0123456789abcdef", RefName: "main", RefType: "branch", Repository: "twittix/api"}
	yamlConfig := `steps:
- name: gcr.io/cloud-builders/docker
  args: ['build', '-t', '${_REGISTRY}/api:$SHORT_SHA', '.']
  wait_for: ['-']
- name: ubuntu
  entrypoint: bash
  args: ['-c', 'echo $$HOME on $BRANCH_NAME']
images: ['${_REGISTRY}/api:$SHORT_SHA']
substitutions:
  _REGISTRY: gcr.io/from-config
timeout: 900s
options:
  logging: CLOUD_LOGGING_ONLY
`
	dir := tree(t, map[string]string{
		"cloudbuild.yaml": yamlConfig,
		"build.json":      `{"steps":[{"name":"ubuntu","args":["echo","$_X"]}],"options":{"substitutionOption":"ALLOW_LOOSE"}}`,
		"bad.yaml":        "steps:\n- name: ubuntu\n  argz: [a]\n",
		"broken.yaml":     "steps:\n- name: ubuntu\n\targs: []\n",
		"empty.yaml":      "timeout: 60s\n",
	})
	got, err := Prepare(Request{Project: "p-project", Dir: dir, Config: filepath.Join(dir, "cloudbuild.yaml"), GitHub: gh,
		Substitutions: map[string]string{"_REGISTRY": "europe-docker.pkg.dev/p/r"}, Timeout: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	b := got.Build
	wantSubs := map[string]string{"_REGISTRY": "europe-docker.pkg.dev/p/r", "SHORT_SHA": "0123456", "BRANCH_NAME": "main"}
	if diff := cmp.Diff(wantSubs, b.Substitutions); diff != "" {
		t.Errorf("substitutions (-want +got):\n%s", diff)
	}
	if b.Timeout.AsDuration() != 5*time.Minute || b.Options.Logging != cloudbuildpb.BuildOptions_CLOUD_LOGGING_ONLY || b.Steps[0].WaitFor[0] != "-" {
		t.Errorf("build = %v", b)
	}

	loose, err := Prepare(Request{Project: "p-project", Dir: dir, Config: filepath.Join(dir, "build.json"), Substitutions: map[string]string{"_UNUSED": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(loose.Warnings) != 2 {
		t.Errorf("warnings = %q, want the undefined _X and the unused _UNUSED", loose.Warnings)
	}

	_, err = Prepare(Request{Project: "p-project", Dir: dir, Config: filepath.Join(dir, "cloudbuild.yaml"), Substitutions: map[string]string{"_EXTRA": "1"}})
	if err == nil || !strings.Contains(err.Error(), `Substitutions: key "_EXTRA" in the substitution data is not matched in the template`) {
		t.Errorf("Prepare(unused substitution) = %v", err)
	}

	for name, wantLine := range map[string]int{"bad.yaml": 3, "broken.yaml": 2 /* as yaml.v3 reports it */, "empty.yaml": 0} {
		_, err := Prepare(Request{Project: "p-project", Dir: dir, Config: filepath.Join(dir, name)})
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("Prepare(%s) = %v, want a *ConfigError", name, err)
			continue
		}
		if _, line, _ := ce.Location(); line != wantLine {
			t.Errorf("Prepare(%s): line %d, want %d (%v)", name, line, wantLine, err)
		}
	}
	if _, err := Prepare(Request{Project: "p-project", Dir: dir, Config: filepath.Join(dir, "missing.yaml")}); err == nil || !os.IsNotExist(errors.Unwrap(err)) && !strings.Contains(err.Error(), "no such file") {
		t.Errorf("Prepare(missing config) = %v", err)
	}
}

func TestPrepareServiceAccountNeedsLogs(t *testing.T) {
	t.Parallel()
	dir := tree(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	r := Request{Project: "p-project", Dir: dir, Image: "gcr.io/p-project/api", ServiceAccount: "b@p-project.iam.gserviceaccount.com"}
	if _, err := Prepare(r); err == nil || !strings.Contains(err.Error(), "ServiceAccount: Cloud Build needs a logs bucket of yours when the build runs as a service account: set LogsBucket (gs://BUCKET), or Logging to") {
		t.Fatalf("Prepare(service account, default logs) = %v", err)
	}
	r.LogsBucket = "gs://p-logs/builds"
	p, err := Prepare(r)
	if err != nil {
		t.Fatal(err)
	}
	if p.Build.ServiceAccount != "projects/p-project/serviceAccounts/b@p-project.iam.gserviceaccount.com" || p.Build.LogsBucket != "gs://p-logs/builds" {
		t.Errorf("build = %v", p.Build)
	}
}

func TestValidateTags(t *testing.T) {
	t.Parallel()
	r := Request{Project: "my-project", Image: image, Tags: []string{"api", "feature/login"}}
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), `Tags: "feature/login" is not a valid build tag`) ||
		!strings.Contains(err.Error(), "replace its '/'") {
		t.Errorf("Validate(ref name as tag) = %v, want the tag refused with a hint", err)
	}
	many := make([]string, maxTags)
	for i := range many {
		many[i] = fmt.Sprintf("t%d", i)
	}
	r.Tags = many
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "the action adds one") {
		t.Errorf("Validate(%d tags) = %v, want too many: the submission tag needs a place", len(many), err)
	}
	r.Tags = many[:maxTags-1]
	if err := r.Validate(); err != nil {
		t.Errorf("Validate(%d tags) = %v", len(r.Tags), err)
	}
}

func fieldNames(fields []field.Name) []string {
	var out []string
	for _, f := range fields {
		out = append(out, string(f))
	}
	return out
}

// fieldsOf returns the fields of the *field.Error values joined in err, in order.
func fieldsOf(err error) []field.Name {
	var out []field.Name
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *field.Error
		if errors.As(e, &fe) {
			out = append(out, fe.Field)
		}
	}
	return out
}
