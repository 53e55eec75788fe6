package swarm

import (
	"testing"

	"github.com/docker/cli/cli/compose/convert"
	"github.com/moby/moby/api/types/swarm"
	"github.com/twittix/infra/internal/testenv/dockertest"
	"github.com/twittix/infra/pkg/logging"
)

// TestSettleImages checks the three --resolve-image modes against the real daemon, whose
// registry lookups fail here (no registry is reachable): a lookup degrades to the tag.
func TestSettleImages(t *testing.T) {
	t.Parallel()
	c := dockertest.RequireSwarm(t)
	const pinned = "twittix-test/app:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	existing := func(label string) *swarm.Service {
		return &swarm.Service{Spec: swarm.ServiceSpec{
			Annotations:  swarm.Annotations{Labels: map[string]string{convert.LabelImage: label}},
			TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: pinned}, Placement: &swarm.Placement{Platforms: []swarm.Platform{{OS: "linux", Architecture: "amd64"}}}},
		}}
	}
	tests := []struct {
		name     string
		mode     ResolveImage
		image    string
		existing *swarm.Service
		want     string
		wantWarn bool
	}{
		{"always asks the registry, falls back to the tag", ResolveAlways, "twittix-test/app:v1", existing("twittix-test/app:v1"), "twittix-test/app:v1", true},
		{"changed keeps the pinned digest of an unchanged image", ResolveChanged, "twittix-test/app:v1", existing("twittix-test/app:v1"), pinned, false},
		{"changed asks for a changed image", ResolveChanged, "twittix-test/app:v2", existing("twittix-test/app:v1"), "twittix-test/app:v2", true},
		{"never keeps the pinned digest of an unchanged image", ResolveNever, "twittix-test/app:v1", existing("twittix-test/app:v1"), pinned, false},
		{"never sends a changed tag as is", ResolveNever, "twittix-test/app", existing("twittix-test/app:v1"), "twittix-test/app:latest", false},
		{"never on a new service", ResolveNever, "twittix-test/app:v3", nil, "twittix-test/app:v3", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out syncBuffer
			d := &desiredService{image: tc.image, existing: tc.existing,
				spec: swarm.ServiceSpec{TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: tc.image}}}}
			r := &imageResolver{c: c, log: logging.New(&out)}
			if err := settleImages(t.Context(), r, []*desiredService{d}, tc.mode); err != nil {
				t.Fatal(err)
			}
			if got := d.spec.TaskTemplate.ContainerSpec.Image; got != tc.want {
				t.Errorf("image = %q, want %q", got, tc.want)
			}
			if warned := out.String() != ""; warned != tc.wantWarn {
				t.Errorf("warned = %v (%q), want %v", warned, out.String(), tc.wantWarn)
			}
			if tc.want == pinned && (d.spec.TaskTemplate.Placement == nil || len(d.spec.TaskTemplate.Placement.Platforms) != 1) {
				t.Errorf("platforms of the pinned image were not kept: %+v", d.spec.TaskTemplate.Placement)
			}
		})
	}
}
