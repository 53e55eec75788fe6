package specdiff

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/swarm"
)

// The daemon stores a spec with a few defaults filled in (isolation "default", runtime "container",
// failure action "pause", protocol "tcp", ...), empty lists as null and networks by ID. To know
// whether a service would change, both the spec we would send and the spec we read are brought to
// one form first: defaults removed, networks named, and empty values dropped.

// Normalize returns a copy of spec in comparable form. netNames maps network IDs to names.
func Normalize(spec swarm.ServiceSpec, netNames map[string]string) swarm.ServiceSpec {
	s := copySpec(spec)
	if cs := s.TaskTemplate.ContainerSpec; cs != nil {
		if cs.Isolation == "default" {
			cs.Isolation = ""
		}
	}
	if s.Mode == (swarm.ServiceMode{}) {
		s.Mode.Replicated = &swarm.ReplicatedService{}
	}
	if r := s.Mode.Replicated; r != nil && r.Replicas == nil {
		one := uint64(1)
		r.Replicas = &one
	}
	if rp := s.TaskTemplate.RestartPolicy; rp != nil {
		// The daemon stores a restart policy without condition as "any", and no maximum or window
		// as 0: the same policy.
		if rp.Condition == swarm.RestartPolicyConditionAny {
			rp.Condition = ""
		}
		if rp.MaxAttempts != nil && *rp.MaxAttempts == 0 {
			rp.MaxAttempts = nil
		}
		if rp.Window != nil && *rp.Window == 0 {
			rp.Window = nil
		}
	}
	if s.TaskTemplate.Runtime == swarm.RuntimeContainer {
		s.TaskTemplate.Runtime = ""
	}
	for _, uc := range []*swarm.UpdateConfig{s.UpdateConfig, s.RollbackConfig} {
		if uc == nil {
			continue
		}
		if uc.FailureAction == swarm.UpdateFailureActionPause {
			uc.FailureAction = ""
		}
		if uc.Order == swarm.UpdateOrderStopFirst {
			uc.Order = ""
		}
	}
	if ep := s.EndpointSpec; ep != nil {
		if ep.Mode == swarm.ResolutionModeVIP {
			ep.Mode = ""
		}
		for i := range ep.Ports {
			if ep.Ports[i].Protocol == "tcp" {
				ep.Ports[i].Protocol = ""
			}
			if ep.Ports[i].PublishMode == swarm.PortConfigPublishModeIngress {
				ep.Ports[i].PublishMode = ""
			}
		}
	}
	nameNetworks := func(nets []swarm.NetworkAttachmentConfig) {
		for i := range nets {
			if name, ok := netNames[nets[i].Target]; ok {
				nets[i].Target = name
			}
		}
		slices.SortFunc(nets, func(a, b swarm.NetworkAttachmentConfig) int { return strings.Compare(a.Target, b.Target) })
	}
	nameNetworks(s.TaskTemplate.Networks)
	return s
}

// copySpec deep-copies a spec through JSON, the form in which it travels anyway.
func copySpec(spec swarm.ServiceSpec) swarm.ServiceSpec {
	b, err := json.Marshal(spec)
	if err != nil {
		panic(err) // a ServiceSpec always marshals
	}
	var out swarm.ServiceSpec
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// Equal reports whether two normalized specs mean the same service.
func Equal(a, b swarm.ServiceSpec) bool {
	return reflect.DeepEqual(pruned(a), pruned(b))
}

// pruned returns v as generic JSON with null values and empty strings, lists and objects removed.
func pruned(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var g any
	if err := json.Unmarshal(b, &g); err != nil {
		panic(err)
	}
	g, ok := prune(g)
	if !ok {
		return nil
	}
	return g
}

func prune(v any) (any, bool) {
	switch t := v.(type) {
	case nil:
		return nil, false
	case string:
		return t, t != ""
	case []any:
		out := make([]any, 0, len(t))
		for _, e := range t {
			if p, ok := prune(e); ok {
				out = append(out, p)
			} else {
				out = append(out, nil)
			}
		}
		return out, len(out) > 0
	case map[string]any:
		for k, e := range t {
			if p, ok := prune(e); ok {
				t[k] = p
			} else {
				delete(t, k)
			}
		}
		return t, len(t) > 0
	default:
		return t, true
	}
}

// Same reports whether two specs, as sent or as stored, mean the same service. netNames maps
// network IDs to names.
func Same(a, b swarm.ServiceSpec, netNames map[string]string) bool {
	return Equal(Normalize(a, netNames), Normalize(b, netNames))
}

// Changes lists what changes from the running spec to the desired one, nil when they mean the
// same service. netNames maps network IDs to names.
func Changes(running, desired swarm.ServiceSpec, netNames map[string]string) []Change {
	before, after := Normalize(running, netNames), Normalize(desired, netNames)
	if Equal(before, after) {
		return nil
	}
	if changes := Diff(before, after); len(changes) > 0 {
		return changes
	}
	// Equal once rendered, different in JSON: still an update, say so.
	return []Change{{Field: "spec", Before: "(differs)", After: "(differs)"}}
}

// SameContainer reports whether two container specs would make the same container.
func SameContainer(a, b *swarm.ContainerSpec) bool {
	if a == nil || b == nil {
		return a == b
	}
	norm := func(c *swarm.ContainerSpec) any {
		n := *c
		if n.Isolation == "default" {
			n.Isolation = ""
		}
		return pruned(n)
	}
	return reflect.DeepEqual(norm(a), norm(b))
}
