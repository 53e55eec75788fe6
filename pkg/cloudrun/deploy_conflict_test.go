package cloudrun_test

import (
	"context"
	"testing"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/protobuf/proto"

	"github.com/twittix/infra/pkg/cloudrun"
	"github.com/twittix/infra/pkg/cloudrun/traffic"
)

func TestDeployConcurrentModification(t *testing.T) {
	t.Parallel()
	t.Run("re-planned over the new traffic", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		old := e.deploy(t, "img:0", "old", "old")
		// Between our read and our write, an operator splits the traffic.
		e.run.Before("UpdateService", once(func() {
			if _, err := e.run.SetTraffic(ref.Name(), traffic.NewTarget(e.first, 50, ""), traffic.NewTarget(old, 50, "old")); err != nil {
				t.Error(err)
			}
		}))
		res, err := e.client.Deploy(context.Background(), cloudrun.DeployRequest{Service: ref, Image: "img:2", RevisionSuffix: "v2", Tag: "sha-2"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := e.split(t), e.first+"=50,"+old+"=50"; got != want {
			t.Errorf("traffic = %s, want the operator's split kept: %s", got, want)
		}
		if got := traffic.Tags(e.run.Service(ref.Name()).GetTraffic()); got["sha-2"] != "web-v2" || got["old"] != old {
			t.Errorf("tags = %v", got)
		}
		if res.Revision != "web-v2" {
			t.Errorf("revision = %s", res.Revision)
		}
	})
	t.Run("applied before the conflict was reported", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		// The first write goes through but its answer is lost: the retry meets its own change.
		e.run.Before("UpdateService", once(func() {
			spec := proto.Clone(e.run.Service(ref.Name())).(*runpb.Service)
			spec.Template.Containers[0].Image = "img:2"
			spec.Template.Revision = "web-v2"
			spec.Traffic = []*runpb.TrafficTarget{traffic.NewTarget(e.first, 100, ""), traffic.NewTarget("web-v2", 0, "sha-2")}
			if _, err := e.run.Update(spec, "template", "traffic"); err != nil {
				t.Error(err)
			}
		}))
		res, err := e.client.Deploy(context.Background(), cloudrun.DeployRequest{Service: ref, Image: "img:2", RevisionSuffix: "v2", Tag: "sha-2"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Revision != "web-v2" || res.TagURL == "" {
			t.Errorf("result = %+v", res)
		}
		if got := e.run.Calls()["UpdateService"]; got != 1 {
			t.Errorf("UpdateService calls = %d, want 1 (no second write)", got)
		}
	})
}
