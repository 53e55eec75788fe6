package cloudrun_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/run/apiv2/runpb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	"github.com/twittix/infra/internal/testenv/fakerun"
	"github.com/twittix/infra/pkg/cloudrun"
	"github.com/twittix/infra/pkg/cloudrun/traffic"
)

func TestShift(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rev := e.deploy(t, "img:2", "sha-2", "sha-2")
	e.run.ResetCalls()

	res, err := e.client.Shift(context.Background(), cloudrun.ShiftRequest{Service: ref, To: spec(t, "sha-2=10")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.split(t), e.first+"=90,"+rev+"=10"; got != want {
		t.Errorf("traffic = %s, want %s", got, want)
	}
	if got, want := formatEntries(res.Traffic), e.first+"=90,"+rev+"=10"; got != want {
		t.Errorf("result traffic = %s, want %s", got, want)
	}
	if got, want := formatEntries(res.PreviousTraffic), e.first+"=100"; got != want {
		t.Errorf("result previous traffic = %s, want %s", got, want)
	}
	if res.Revision != rev || res.Tag != "sha-2" || res.TagURL == "" || !res.Changed {
		t.Errorf("result = %+v", res)
	}
	svc := e.run.Service(ref.Name())
	if got, want := svc.GetAnnotations()[cloudrun.AnnotationPreviousTraffic], traffic.Encode([]*runpb.TrafficTarget{traffic.NewTarget(e.first, 100, "")}); got != want {
		t.Errorf("recorded previous traffic = %s, want %s", got, want)
	}
	if got := svc.GetAnnotations()[cloudrun.AnnotationChange]; !strings.HasPrefix(got, "shift sha-2=10 by test [") {
		t.Errorf("recorded change = %q", got)
	}
	// At most 3 calls plus the operation wait.
	calls := e.run.Calls()
	delete(calls, "GetOperation")
	if diff := cmp.Diff(map[string]int{"GetService": 1, "GetRevision": 1, "UpdateService": 1}, calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}

	// The same shift again changes nothing and writes nothing.
	e.run.ResetCalls()
	res, err = e.client.Shift(context.Background(), cloudrun.ShiftRequest{Service: ref, To: spec(t, "sha-2=10")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed || e.run.Calls()["UpdateService"] != 0 {
		t.Errorf("a repeated shift wrote the service (changed %v, calls %v)", res.Changed, e.run.Calls())
	}
}

func TestShiftSpecs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec string
		want string // with {A} the first revision, {B} web-sha-2 (tag sha-2), {C} web-sha-3 (tag sha-3)
	}{
		{name: "by tag", spec: "sha-2=100", want: "{B}=100"},
		{name: "by revision name", spec: "web-sha-3=30", want: "{A}=70,{C}=30"},
		{name: "two targets", spec: "sha-2=50,tag:sha-3=50", want: "{B}=50,{C}=50"},
		{name: "LATEST", spec: "LATEST=100", want: "LATEST=100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.deploy(t, "img:2", "sha-2", "sha-2")
			e.deploy(t, "img:3", "sha-3", "sha-3")
			if _, err := e.client.Shift(context.Background(), cloudrun.ShiftRequest{Service: ref, To: spec(t, tc.spec)}); err != nil {
				t.Fatal(err)
			}
			want := strings.NewReplacer("{A}", e.first, "{B}", "web-sha-2", "{C}", "web-sha-3").Replace(tc.want)
			if got := e.split(t); got != want {
				t.Errorf("traffic = %s, want %s", got, want)
			}
			// Tags survive every shift.
			tags := traffic.Tags(e.run.Service(ref.Name()).GetTraffic())
			if diff := cmp.Diff(map[string]string{"sha-2": "web-sha-2", "sha-3": "web-sha-3"}, tags); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShiftBadInputs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy(t, "img:2", "sha-2", "sha-2")
	// A revision that failed is never given traffic.
	e.run.SetOutcome("img:bad", fakerun.Outcome{Fail: "Container called exit(1)."})
	if _, err := e.client.Deploy(context.Background(), cloudrun.DeployRequest{Service: ref, Image: "img:bad", RevisionSuffix: "bad", Tag: "bad"}); err == nil {
		t.Fatal("deploy of a failing image succeeded")
	}
	missing := ref
	missing.Service = "nope"
	tests := []struct {
		name    string
		service cloudrun.ServiceRef
		spec    []traffic.Assignment
		want    []string
	}{
		{name: "percent 120", service: ref, spec: []traffic.Assignment{{Name: "sha-2", Percent: 120}}, want: []string{"percent 120 is out of range"}},
		{name: "unknown tag", service: ref, spec: []traffic.Assignment{{Kind: traffic.ByTag, Name: "sha-404", Percent: 10}}, want: []string{`unknown tag "sha-404": the service's tags are bad, sha-2`}},
		{name: "unknown name", service: ref, spec: []traffic.Assignment{{Name: "web-nope", Percent: 10}}, want: []string{`unknown revision or tag "web-nope"`}},
		{name: "missing service", service: missing, spec: []traffic.Assignment{{Name: "sha-2", Percent: 10}}, want: []string{"service nope not found"}},
		{name: "failed revision", service: ref, spec: []traffic.Assignment{{Name: "bad", Percent: 10}}, want: []string{"revision web-bad is not ready (failed): Container called exit(1).", "its logs: https://"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := e.client.Shift(context.Background(), cloudrun.ShiftRequest{Service: tc.service, To: tc.spec})
			wantErr(t, err, tc.want...)
		})
	}
	if got, want := e.split(t), e.first+"=100"; got != want {
		t.Errorf("traffic = %s after refused shifts, want %s", got, want)
	}
	if _, err := traffic.ParseSpec("sha-2=120"); err == nil {
		t.Error("ParseSpec accepted 120%")
	}
}

// once runs fn on the first call only.
func once(fn func()) func() {
	var o sync.Once
	return func() { o.Do(fn) }
}

func TestShiftConcurrentModification(t *testing.T) {
	t.Parallel()
	t.Run("re-planned", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		rev := e.deploy(t, "img:2", "sha-2", "sha-2")
		third := e.deploy(t, "img:3", "sha-3", "sha-3")
		e.run.ResetCalls()
		// Between our read and our write, someone gives the third revision 50%.
		e.run.Before("UpdateService", once(func() {
			if _, err := e.run.SetTraffic(ref.Name(),
				traffic.NewTarget(e.first, 50, ""), traffic.NewTarget(third, 50, "sha-3"), traffic.NewTarget(rev, 0, "sha-2")); err != nil {
				t.Error(err)
			}
		}))
		res, err := e.client.Shift(context.Background(), cloudrun.ShiftRequest{Service: ref, To: spec(t, "sha-2=20")})
		if err != nil {
			t.Fatal(err)
		}
		// Re-planned over the new split: the 80% left is shared 50/50.
		if got, want := e.split(t), e.first+"=40,"+third+"=40,"+rev+"=20"; got != want {
			t.Errorf("traffic = %s, want %s", got, want)
		}
		if got, want := formatEntries(res.PreviousTraffic), e.first+"=50,"+third+"=50"; got != want {
			t.Errorf("previous traffic = %s, want the split of the concurrent change %s", got, want)
		}
		if !strings.Contains(e.log.String(), "changed since it was read") {
			t.Errorf("no warning about the concurrent change in the log:\n%s", e.log)
		}
		if got := e.run.Calls()["UpdateService"]; got != 2 {
			t.Errorf("UpdateService calls = %d, want 2", got)
		}
	})
	t.Run("refused when the tag moved", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		rev := e.deploy(t, "img:2", "sha-2", "sha-2")
		third := e.deploy(t, "img:3", "sha-3", "sha-3")
		e.run.Before("UpdateService", once(func() {
			if _, err := e.run.SetTraffic(ref.Name(), traffic.NewTarget(e.first, 100, ""), traffic.NewTarget(third, 0, "sha-2")); err != nil {
				t.Error(err)
			}
		}))
		_, err := e.client.Shift(context.Background(), cloudrun.ShiftRequest{Service: ref, To: spec(t, "sha-2=50")})
		wantErr(t, err, "refusing to shift", "sha-2=50 now name "+third+" instead of "+rev)
		var refused *cloudrun.RefusedError
		if !errors.As(err, &refused) {
			t.Errorf("error is %T, want *RefusedError", err)
		}
		if got, want := e.split(t), e.first+"=100"; got != want {
			t.Errorf("traffic = %s, want the concurrent change kept: %s", got, want)
		}
	})
	t.Run("refused after repeated changes", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		rev := e.deploy(t, "img:2", "sha-2", "sha-2")
		percent := int32(0)
		e.run.Before("UpdateService", func() {
			percent++
			if _, err := e.run.SetTraffic(ref.Name(), traffic.NewTarget(e.first, 100-percent, ""), traffic.NewTarget(rev, percent, "sha-2")); err != nil {
				t.Error(err)
			}
		})
		_, err := e.client.Shift(context.Background(), cloudrun.ShiftRequest{Service: ref, To: spec(t, "sha-2=50")})
		wantErr(t, err, "was changed by someone else 3 times", "nothing was overwritten")
		if got, want := e.split(t), e.first+"=97,"+rev+"=3"; got != want {
			t.Errorf("traffic = %s, want the last concurrent change %s", got, want)
		}
	})
}

func TestShiftRetriesUnavailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rev := e.deploy(t, "img:2", "sha-2", "sha-2")
	e.run.ResetCalls()
	e.run.Fail("GetService", codes.Unavailable, codes.Unavailable)
	e.run.Fail("GetRevision", codes.Unavailable)
	e.run.Fail("UpdateService", codes.Unavailable)
	e.run.Fail("GetOperation", codes.Unavailable)
	if _, err := e.client.Shift(context.Background(), cloudrun.ShiftRequest{Service: ref, To: spec(t, "sha-2=100")}); err != nil {
		t.Fatal(err)
	}
	if got, want := e.split(t), rev+"=100"; got != want {
		t.Errorf("traffic = %s, want %s", got, want)
	}
	calls := e.run.Calls()
	if calls["GetService"] != 3 || calls["GetRevision"] != 2 || calls["UpdateService"] != 2 || calls["GetOperation"] < 2 {
		t.Errorf("calls = %v, want each failed call retried", calls)
	}
	// A permanent error is not retried.
	e.run.ResetCalls()
	e.run.Fail("GetService", codes.PermissionDenied)
	_, err := e.client.Shift(context.Background(), cloudrun.ShiftRequest{Service: ref, To: spec(t, "sha-2=50")})
	wantErr(t, err, "permission denied")
	if got := e.run.Calls()["GetService"]; got != 1 {
		t.Errorf("GetService calls = %d after PERMISSION_DENIED, want 1", got)
	}
}
