package cloudrun_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/run/apiv2/runpb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/twittix/infra/internal/testenv/fakerun"
	"github.com/twittix/infra/pkg/cloudrun"
)

func TestDeployWithoutTraffic(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	res, err := e.client.Deploy(ctx, cloudrun.DeployRequest{
		Service:        ref,
		Image:          "img:2",
		Env:            []cloudrun.EnvVar{{Name: "MODE", Value: "prod"}},
		Secrets:        []cloudrun.SecretEnv{{Name: "DB_PASSWORD", Secret: "db-password", Version: "latest"}},
		Labels:         map[string]string{"commit": "1a2b3c4"},
		RevisionSuffix: "sha-1a2b3c4",
		Tag:            "sha-1a2b3c4",
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Revision != "web-sha-1a2b3c4" || res.Tag != "sha-1a2b3c4" || res.TagURL == "" {
		t.Errorf("result revision %q tag %q tag URL %q", res.Revision, res.Tag, res.TagURL)
	}
	// The old revision keeps all the traffic: LATEST was pinned to it.
	if got, want := e.split(t), e.first+"=100"; got != want {
		t.Errorf("traffic after deploy = %s, want %s", got, want)
	}
	if diff := cmp.Diff(formatEntries(res.PreviousTraffic), formatEntries(res.Traffic)); diff != "" {
		t.Errorf("serving traffic changed (-before +after):\n%s", diff)
	}
	rev := e.run.Revision(ref.Name(), "web-sha-1a2b3c4")
	if state := rev.GetConditions()[0].GetState(); state != runpb.Condition_CONDITION_SUCCEEDED {
		t.Errorf("revision Ready = %v", state)
	}
	env := rev.GetContainers()[0].GetEnv()
	if len(env) != 2 || env[0].GetValue() != "prod" || env[1].GetValueSource().GetSecretKeyRef().GetSecret() != "db-password" {
		t.Errorf("revision env = %v", env)
	}
	if rev.GetLabels()["commit"] != "1a2b3c4" {
		t.Errorf("revision labels = %v", rev.GetLabels())
	}
	// The tag URL reaches the new revision, the service URL the old one.
	if body := fetch(t, res.TagURL); !strings.Contains(body, "web-sha-1a2b3c4") {
		t.Errorf("tag URL answered %q", body)
	}
	if body := fetch(t, res.URL); !strings.Contains(body, e.first) {
		t.Errorf("service URL answered %q", body)
	}
	// Deploy does not touch the rollback record.
	if _, ok := e.run.Service(ref.Name()).GetAnnotations()[cloudrun.AnnotationPreviousTraffic]; ok {
		t.Error("deploy recorded a previous split")
	}
}

func TestDeployGeneratesRevisionName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rev := e.deploy(t, "img:2", "", "sha-9f8e7d6")
	if !strings.HasPrefix(rev, "web-sha-9f8e7d6-") || len(rev) != len("web-sha-9f8e7d6-abc") {
		t.Errorf("revision = %q, want web-sha-9f8e7d6-xyz", rev)
	}
	// Deploying the same commit again moves the tag to the new revision.
	again := e.deploy(t, "img:2", "", "sha-9f8e7d6")
	if again == rev {
		t.Fatalf("second deploy reused the revision name %s", rev)
	}
	tags := map[string]string{}
	for _, tt := range e.run.Service(ref.Name()).GetTraffic() {
		if tt.GetTag() != "" {
			tags[tt.GetTag()] = tt.GetRevision()
		}
	}
	if diff := cmp.Diff(map[string]string{"sha-9f8e7d6": again}, tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

func TestDeployRevisionNeverReady(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		outcome fakerun.Outcome
		want    []string
	}{
		{name: "failed", outcome: fakerun.Outcome{Fail: "The user-provided container failed to start and listen on the port defined by the PORT=8080 environment variable."},
			want: []string{"revision web-bad is not ready (failed)", "failed to start and listen", "its logs: https://console.cloud.google.com/logs/viewer?project=twittix-prod", "never given traffic"}},
		{name: "stuck", outcome: fakerun.Outcome{Never: true},
			want: []string{"revision web-bad did not become ready within", "still deploying", "its logs: https://console.cloud.google.com/logs/"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, cloudrun.WithReadyTimeout(300*time.Millisecond))
			e.run.SetOutcome("img:bad", tc.outcome)
			_, err := e.client.Deploy(context.Background(), cloudrun.DeployRequest{Service: ref, Image: "img:bad", RevisionSuffix: "bad", Tag: "bad"})
			wantErr(t, err, tc.want...)
			var notReady *cloudrun.NotReadyError
			if !errors.As(err, &notReady) || notReady.LogURI == "" {
				t.Errorf("error %v is not a *NotReadyError with a log URI", err)
			}
			if got, want := e.split(t), e.first+"=100"; got != want {
				t.Errorf("traffic = %s, want %s", got, want)
			}
			// Progress lines are throttled: one per 15s of waiting, not one per poll.
			if n := strings.Count(e.log.String(), "waiting for Cloud Run to apply the change to web"); n != 1 {
				t.Errorf("%d progress lines for the wait, want 1:\n%s", n, e.log)
			}
		})
	}
}

func TestDeployBadInputs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	missing := ref
	missing.Service = "nope"
	tests := []struct {
		name string
		req  cloudrun.DeployRequest
		want []string
	}{
		{name: "missing service", req: cloudrun.DeployRequest{Service: missing, Image: "img:2"}, want: []string{"service nope not found in project twittix-prod, region europe-west1: check the service's name, project and region"}},
		{name: "all problems at once", req: cloudrun.DeployRequest{Service: cloudrun.ServiceRef{Project: "twittix-prod", Region: "europe-west1", Service: "Web"}, Tag: "Bad_Tag"},
			want: []string{`service name "Web" is invalid`, "the image is empty", `tag "Bad_Tag" is invalid`}},
		{name: "unknown container", req: cloudrun.DeployRequest{Service: ref, Image: "img:2", Container: "sidecar"}, want: []string{`container "sidecar" is not in the service's template`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := e.client.Deploy(context.Background(), tc.req)
			wantErr(t, err, tc.want...)
		})
	}
	_, err := e.client.Deploy(context.Background(), cloudrun.DeployRequest{Service: missing, Image: "img:2"})
	var nf *cloudrun.NotFoundError
	if !errors.As(err, &nf) || nf.Ref != missing || status.Code(err) != codes.NotFound {
		t.Errorf("Deploy(missing service) = %v, want a *NotFoundError of %v with Cloud Run's NOT_FOUND", err, missing)
	}
}

func fetch(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
