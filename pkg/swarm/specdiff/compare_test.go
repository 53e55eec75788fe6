package specdiff

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/swarm"
)

// sentSpec is a spec as convert makes it; storedSpec is the same service as the daemon returns
// it, with its defaults filled in and networks by ID.
func sentSpec() swarm.ServiceSpec {
	delay := 100 * time.Millisecond
	return swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: "s_web", Labels: map[string]string{"a": "b"}},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{Image: "app:v1", Mounts: []mount.Mount{}, Hosts: []string{}, Env: []string{"A=1"}},
			Networks:      []swarm.NetworkAttachmentConfig{{Target: "s_default", Aliases: []string{"web"}}},
			Placement:     &swarm.Placement{},
			RestartPolicy: &swarm.RestartPolicy{Delay: &delay},
		},
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{}},
		UpdateConfig: &swarm.UpdateConfig{Parallelism: 1, Monitor: time.Second},
		EndpointSpec: &swarm.EndpointSpec{Mode: swarm.ResolutionModeDNSRR, Ports: []swarm.PortConfig{{TargetPort: 80, PublishedPort: 8080}}},
	}
}

func storedSpec() swarm.ServiceSpec {
	one := uint64(1)
	s := sentSpec()
	s.TaskTemplate.ContainerSpec.Mounts, s.TaskTemplate.ContainerSpec.Hosts = nil, nil
	s.TaskTemplate.ContainerSpec.Isolation = "default"
	s.TaskTemplate.Runtime = swarm.RuntimeContainer
	s.TaskTemplate.Networks = []swarm.NetworkAttachmentConfig{{Target: "net-id-1", Aliases: []string{"web"}}}
	s.TaskTemplate.Placement = nil
	zero := uint64(0)
	s.TaskTemplate.RestartPolicy.Condition, s.TaskTemplate.RestartPolicy.MaxAttempts = swarm.RestartPolicyConditionAny, &zero
	s.Mode.Replicated.Replicas = &one
	s.UpdateConfig.FailureAction, s.UpdateConfig.Order = swarm.UpdateFailureActionPause, swarm.UpdateOrderStopFirst
	s.EndpointSpec.Ports[0].Protocol, s.EndpointSpec.Ports[0].PublishMode = "tcp", swarm.PortConfigPublishModeIngress
	return s
}

func TestNormalizedSpecsCompareEqual(t *testing.T) {
	t.Parallel()
	nets := map[string]string{"net-id-1": "s_default"}
	sent, stored := Normalize(sentSpec(), nets), Normalize(storedSpec(), nets)
	if !Equal(sent, stored) {
		t.Fatalf("the sent and stored forms of one spec differ:\n%s", cmp.Diff(pruned(sent), pruned(stored)))
	}
	if got := Diff(stored, sent); len(got) != 0 {
		t.Errorf("Diff of equal specs = %+v", got)
	}
}

func TestDiffSpecs(t *testing.T) {
	t.Parallel()
	nets := map[string]string{"net-id-1": "s_default"}
	two := uint64(2)
	tests := []struct {
		name   string
		change func(s *swarm.ServiceSpec)
		want   []Change
	}{
		{"image", func(s *swarm.ServiceSpec) { s.TaskTemplate.ContainerSpec.Image = "app:v2" },
			[]Change{{Field: "image", Before: "app:v1", After: "app:v2"}}},
		{"replicas", func(s *swarm.ServiceSpec) { s.Mode.Replicated.Replicas = &two },
			[]Change{{Field: "replicas", Before: "1", After: "2"}}},
		{"env values hidden", func(s *swarm.ServiceSpec) { s.TaskTemplate.ContainerSpec.Env = []string{"A=secret", "B=2"} },
			[]Change{{Field: "env", Summary: "A changed, B added (values hidden)"}}},
		{"env names listed as a sentence", func(s *swarm.ServiceSpec) { s.TaskTemplate.ContainerSpec.Env = []string{"B=1", "C=2", "D=3"} },
			[]Change{{Field: "env", Summary: "B, C and D added, A removed (values hidden)"}}},
		{"ports", func(s *swarm.ServiceSpec) { s.EndpointSpec.Ports[0].PublishMode = swarm.PortConfigPublishModeHost },
			[]Change{{Field: "ports", Before: "8080:80/tcp", After: "8080:80/tcp (host)"}}},
		{"labels", func(s *swarm.ServiceSpec) { s.Labels["a"] = "c" },
			[]Change{{Field: "labels", Before: "a=b", After: "a=c"}}},
		{"networks", func(s *swarm.ServiceSpec) { s.TaskTemplate.Networks[0].Target = "s_back" },
			[]Change{{Field: "networks", Before: "s_default", After: "s_back"}}},
		{"resources", func(s *swarm.ServiceSpec) {
			s.TaskTemplate.Resources = &swarm.ResourceRequirements{Limits: &swarm.Limit{MemoryBytes: 64 << 20}}
		}, []Change{{Field: "resources", After: `{"Limits":{"MemoryBytes":67108864}}`}}},
		{"update config", func(s *swarm.ServiceSpec) { s.UpdateConfig.Monitor = 2 * time.Second },
			[]Change{{Field: "update_config", Before: `{"Monitor":"1s","Parallelism":1}`, After: `{"Monitor":"2s","Parallelism":1}`}}},
		{"anything else by path", func(s *swarm.ServiceSpec) { s.TaskTemplate.ContainerSpec.User = "nobody" },
			[]Change{{Field: "TaskTemplate.ContainerSpec.User", After: `"nobody"`}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			after := sentSpec()
			tc.change(&after)
			before, norm := Normalize(storedSpec(), nets), Normalize(after, nets)
			if Equal(before, norm) {
				t.Fatal("Equal says equal, want a difference")
			}
			if diff := cmp.Diff(tc.want, Diff(before, norm)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChangeString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		change Change
		want   string
	}{
		{Change{Field: "image", Before: "app:v1", After: "app:v2"}, `image: "app:v1" -> "app:v2"`},
		{Change{Field: "ports", After: "80:80/tcp"}, `ports: (none) -> "80:80/tcp"`},
		{Change{Field: "labels", Before: "a=b"}, `labels: "a=b" -> (none)`},
		{Change{Field: "env", Summary: "VERSION changed, DEBUG added, OLD removed (values hidden)"},
			"env: VERSION changed, DEBUG added, OLD removed (values hidden)"},
	}
	for _, tc := range tests {
		if got := tc.change.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.change, got, tc.want)
		}
	}
}

func TestHideSecrets(t *testing.T) {
	t.Parallel()
	changes := []Change{
		{Field: "image", Before: "app:v1", After: "app:v2"},
		{Field: "healthcheck", Before: `{"Test":["CMD","x","old\u003c\u0026\u003e"]}`, After: `{"Test":["CMD","x","now"]}`},
		{Field: "labels", Before: "a=old<&>", After: "a=b"},
		{Field: "command", Before: "", After: `run "q\"uote"`},
	}
	// The secret as json.Marshal escapes it (<&> -> \u003c\u0026\u003e), and with a quote.
	HideSecrets(changes, []string{"new", "old<&>", `q"uote`})
	want := []Change{
		{Field: "image", Before: "app:v1", After: "app:v2"},
		{Field: "healthcheck", Summary: HiddenSecret},
		{Field: "labels", Summary: HiddenSecret},
		{Field: "command", Summary: HiddenSecret},
	}
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}
