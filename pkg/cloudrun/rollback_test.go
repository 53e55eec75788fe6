package cloudrun_test

import (
	"context"
	"testing"

	"cloud.google.com/go/run/apiv2/runpb"

	"github.com/twittix/infra/pkg/cloudrun"
	"github.com/twittix/infra/pkg/cloudrun/traffic"
)

func TestRollbackFromAnnotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	rev := e.deploy(t, "img:2", "sha-2", "sha-2")
	if _, err := e.client.Shift(ctx, cloudrun.ShiftRequest{Service: ref, To: spec(t, "sha-2=100")}); err != nil {
		t.Fatal(err)
	}
	res, err := e.client.Rollback(ctx, cloudrun.RollbackRequest{Service: ref})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.split(t), e.first+"=100"; got != want {
		t.Errorf("traffic after rollback = %s, want %s", got, want)
	}
	if res.Revision != e.first || !res.Changed || formatEntries(res.PreviousTraffic) != rev+"=100" {
		t.Errorf("result = %+v", res)
	}
	if tags := e.run.Service(ref.Name()).GetTraffic(); len(tags) != 2 || tags[0].GetTag() != "sha-2" {
		t.Errorf("traffic targets = %v, want the sha-2 tag kept", tags)
	}
	// A second rollback undoes the first.
	if _, err := e.client.Rollback(ctx, cloudrun.RollbackRequest{Service: ref}); err != nil {
		t.Fatal(err)
	}
	if got, want := e.split(t), rev+"=100"; got != want {
		t.Errorf("traffic after a second rollback = %s, want %s", got, want)
	}
}

func TestRollbackToRevision(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.deploy(t, "img:2", "sha-2", "sha-2")
	if _, err := e.client.Shift(ctx, cloudrun.ShiftRequest{Service: ref, To: spec(t, "sha-2=50")}); err != nil {
		t.Fatal(err)
	}
	to := target(t, e.first)
	res, err := e.client.Rollback(ctx, cloudrun.RollbackRequest{Service: ref, To: &to})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.split(t), e.first+"=100"; got != want {
		t.Errorf("traffic = %s, want %s", got, want)
	}
	if res.Revision != e.first {
		t.Errorf("result revision = %s", res.Revision)
	}
}

func TestRollbackRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.client.Rollback(ctx, cloudrun.RollbackRequest{Service: ref})
	wantErr(t, err, "service web has no recorded traffic (annotation twittix-infra/previous-traffic)", "name the revision to roll back to")

	to := target(t, "web-nope")
	_, err = e.client.Rollback(ctx, cloudrun.RollbackRequest{Service: ref, To: &to})
	wantErr(t, err, `unknown revision or tag "web-nope"`)
}

func TestRollbackRefusedWhenTheRecordChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.deploy(t, "img:2", "sha-2", "sha-2")
	third := e.deploy(t, "img:3", "sha-3", "sha-3")
	if _, err := e.client.Shift(ctx, cloudrun.ShiftRequest{Service: ref, To: spec(t, "sha-2=100")}); err != nil {
		t.Fatal(err)
	}
	// Between the rollback's read and its write, another run promotes sha-3 and records the split
	// it replaced.
	e.run.Before("UpdateService", once(func() {
		svc := e.run.Service(ref.Name())
		svc.Traffic = traffic.SetTag(traffic.SetTag([]*runpb.TrafficTarget{traffic.NewTarget(third, 100, "")}, "sha-2", "web-sha-2"), "sha-3", third)
		svc.Annotations[cloudrun.AnnotationPreviousTraffic] = traffic.Encode([]*runpb.TrafficTarget{traffic.NewTarget("web-sha-2", 100, "")})
		if _, err := e.run.Update(svc, "traffic", "annotations"); err != nil {
			t.Error(err)
		}
	}))
	_, err := e.client.Rollback(ctx, cloudrun.RollbackRequest{Service: ref})
	wantErr(t, err, "refusing to roll back web: another change recorded a new previous split")
	if got, want := e.split(t), third+"=100"; got != want {
		t.Errorf("traffic = %s, want the other run's %s", got, want)
	}
}
