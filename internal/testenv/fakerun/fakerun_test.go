package fakerun_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	run "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/twittix/infra/internal/testenv/fakerun"
)

const name = "projects/p/locations/europe-west1/services/web"

func clients(t *testing.T, s *fakerun.Server) (*run.ServicesClient, *run.RevisionsClient) {
	t.Helper()
	ctx := context.Background()
	sc, err := run.NewServicesClient(ctx, s.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := run.NewRevisionsClient(ctx, s.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close(); rc.Close() })
	return sc, rc
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestUpdateCreatesRevisionAndServesTag(t *testing.T) {
	t.Parallel()
	// 1s of reconciling: the read of the new revision right after the update must see it
	// RECONCILING even on a loaded machine (the default 20ms was missed there).
	s := fakerun.Start(t, fakerun.WithReconcileDelay(time.Second))
	first, err := s.AddService(name, "img:1")
	if err != nil {
		t.Fatal(err)
	}
	sc, rc := clients(t, s)
	ctx := context.Background()

	svc, err := sc.GetService(ctx, &runpb.GetServiceRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	rev1 := svc.GetTrafficStatuses()[0].GetRevision()
	if !strings.HasPrefix(rev1, "web-00001-") || svc.GetLatestReadyRevision() != name+"/revisions/"+rev1 {
		t.Fatalf("first revision %q, latest ready %q", rev1, svc.GetLatestReadyRevision())
	}
	if code, body := get(t, first.GetUri()); code != 200 || !strings.Contains(body, rev1) {
		t.Fatalf("service URL answered %d %q", code, body)
	}

	svc.Template.Revision = "web-sha-1"
	svc.Template.Containers[0].Image = "img:2"
	svc.Traffic = []*runpb.TrafficTarget{
		{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, Revision: rev1, Percent: 100},
		{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, Revision: "web-sha-1", Tag: "sha-1"},
	}
	op, err := sc.UpdateService(ctx, &runpb.UpdateServiceRequest{Service: svc})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := rc.GetRevision(ctx, &runpb.GetRevisionRequest{Name: name + "/revisions/web-sha-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := rev.GetConditions()[0].GetState(); got != runpb.Condition_CONDITION_RECONCILING {
		t.Errorf("new revision state = %v, want RECONCILING", got)
	}
	done := waitOp(t, op)
	if done.GetTrafficStatuses()[1].GetUri() == "" {
		t.Fatalf("no tag URL in %v", done.GetTrafficStatuses())
	}
	rev, err = rc.GetRevision(ctx, &runpb.GetRevisionRequest{Name: name + "/revisions/web-sha-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := rev.GetConditions()[0].GetState(); got != runpb.Condition_CONDITION_SUCCEEDED {
		t.Errorf("new revision state = %v, want SUCCEEDED", got)
	}
	if code, body := get(t, done.GetTrafficStatuses()[1].GetUri()); code != 200 || !strings.Contains(body, "web-sha-1") {
		t.Errorf("tag URL answered %d %q", code, body)
	}
	if code, body := get(t, done.GetUri()); code != 200 || !strings.Contains(body, rev1) {
		t.Errorf("service URL answered %d %q, want the old revision (the new one has 0%%)", code, body)
	}

	// The etag read before the update is stale now.
	svc.Traffic = svc.Traffic[:1]
	_, err = sc.UpdateService(ctx, &runpb.UpdateServiceRequest{Service: svc})
	if status.Code(err) != codes.Aborted {
		t.Errorf("update with a stale etag: %v, want ABORTED", err)
	}
}

func TestFailedRevision(t *testing.T) {
	t.Parallel()
	s := fakerun.Start(t)
	if _, err := s.AddService(name, "img:1"); err != nil {
		t.Fatal(err)
	}
	s.SetOutcome("img:bad", fakerun.Outcome{Fail: "The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable."})
	sc, rc := clients(t, s)
	ctx := context.Background()
	svc, err := sc.GetService(ctx, &runpb.GetServiceRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	svc.Template.Containers[0].Image = "img:bad"
	op, err := sc.UpdateService(ctx, &runpb.UpdateServiceRequest{Service: svc})
	if err != nil {
		t.Fatal(err)
	}
	_, err = op.Wait(ctx)
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "failed to start") {
		t.Fatalf("operation error = %v, want FAILED_PRECONDITION with the condition message", err)
	}
	svc, _ = sc.GetService(ctx, &runpb.GetServiceRequest{Name: name})
	rev, err := rc.GetRevision(ctx, &runpb.GetRevisionRequest{Name: svc.GetLatestCreatedRevision()})
	if err != nil {
		t.Fatal(err)
	}
	if rev.GetConditions()[0].GetState() != runpb.Condition_CONDITION_FAILED || rev.GetLogUri() == "" {
		t.Errorf("failed revision: conditions %v, log URI %q", rev.GetConditions(), rev.GetLogUri())
	}
	if svc.GetLatestReadyRevision() == svc.GetLatestCreatedRevision() {
		t.Errorf("latest ready revision moved to the failed one")
	}
	// Traffic to a failed revision is refused.
	svc.Traffic = []*runpb.TrafficTarget{{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, Revision: rev.GetName()[strings.LastIndex(rev.GetName(), "/")+1:], Percent: 100}}
	if _, err := sc.UpdateService(ctx, &runpb.UpdateServiceRequest{Service: svc}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("traffic to a failed revision: %v, want FAILED_PRECONDITION", err)
	}
}

func TestValidationAndFaults(t *testing.T) {
	t.Parallel()
	s := fakerun.Start(t)
	if _, err := s.AddService(name, "img:1"); err != nil {
		t.Fatal(err)
	}
	sc, _ := clients(t, s)
	ctx := context.Background()
	if _, err := sc.GetService(ctx, &runpb.GetServiceRequest{Name: name + "x"}); status.Code(err) != codes.NotFound {
		t.Errorf("missing service: %v, want NOT_FOUND", err)
	}
	svc, err := sc.GetService(ctx, &runpb.GetServiceRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		traffic []*runpb.TrafficTarget
	}{
		{"total 90", []*runpb.TrafficTarget{{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, Percent: 90}}},
		{"unknown revision", []*runpb.TrafficTarget{{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, Revision: "web-nope", Percent: 100}}},
		{"duplicate tag", []*runpb.TrafficTarget{
			{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, Percent: 100, Tag: "a"},
			{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, Tag: "a"}}},
	} {
		svc.Traffic = tc.traffic
		if _, err := sc.UpdateService(ctx, &runpb.UpdateServiceRequest{Service: svc}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want INVALID_ARGUMENT", tc.name, err)
		}
	}
	s.Fail("UpdateService", codes.Unavailable)
	svc.Traffic = nil
	if _, err := sc.UpdateService(ctx, &runpb.UpdateServiceRequest{Service: svc}); status.Code(err) != codes.Unavailable {
		t.Errorf("injected fault: %v, want UNAVAILABLE", err)
	}
	if got := s.Calls()["UpdateService"]; got != 4 {
		t.Errorf("UpdateService calls = %d, want 4 (three refused, one faulted)", got)
	}
}

func TestLostAnswer(t *testing.T) {
	t.Parallel()
	s := fakerun.Start(t)
	if _, err := s.AddService(name, "img:1"); err != nil {
		t.Fatal(err)
	}
	sc, _ := clients(t, s)
	ctx := context.Background()
	svc, err := sc.GetService(ctx, &runpb.GetServiceRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	// The update is applied, but its answer is lost: the caller sees UNAVAILABLE.
	s.FailAfter("UpdateService", codes.Unavailable)
	svc.Description = "changed"
	if _, err := sc.UpdateService(ctx, &runpb.UpdateServiceRequest{Service: svc}); status.Code(err) != codes.Unavailable {
		t.Fatalf("lost answer: %v, want UNAVAILABLE", err)
	}
	if got := s.Service(name); got.GetDescription() != "changed" || got.GetEtag() == svc.GetEtag() {
		t.Errorf("service description %q etag %s: the update was not applied", got.GetDescription(), got.GetEtag())
	}
	// Sent again with the same etag, the update is refused: it was applied already.
	if _, err := sc.UpdateService(ctx, &runpb.UpdateServiceRequest{Service: svc}); status.Code(err) != codes.Aborted {
		t.Errorf("repeated update: %v, want ABORTED", err)
	}
	if got := s.Calls()["UpdateService"]; got != 2 {
		t.Errorf("UpdateService calls = %d, want 2", got)
	}
}

func waitOp(t *testing.T, op *run.UpdateServiceOperation) *runpb.Service {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		svc, err := op.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if op.Done() {
			return svc
		}
		time.Sleep(5 * time.Millisecond)
	}
}
