package specdiff

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/docker/cli/cli/compose/convert"
	"github.com/moby/moby/api/types/swarm"
)

// Change is one difference between the running service and the files.
type Change struct {
	// Field is what changes: image, replicas, env, ports, labels, secrets, configs, networks,
	// resources, command, healthcheck, update_config, ... or a spec path for anything else.
	Field string `json:"field"`
	// Before and After describe the values, "" for none.
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
	// Summary replaces Before and After for a field whose values are not shown: the environment,
	// whose values can be secrets, is summarized as "VERSION changed, DEBUG added (values hidden)";
	// any other field whose values hold a secret variable's value (a token in a healthcheck, a
	// command, a label) as "changed (values hidden: they hold a secret variable)".
	Summary string `json:"summary,omitempty"`
}

// HiddenSecret is the Summary of a change whose values hold a secret.
const HiddenSecret = "changed (values hidden: they hold a secret variable)"

// HideSecrets replaces the values of every change that holds one of secrets, raw or as escaped in
// JSON, with HiddenSecret. Both values go: the one before may hold an earlier value of the secret.
func HideSecrets(changes []Change, secrets []string) {
	if len(secrets) == 0 {
		return
	}
	forms := make([]string, 0, 3*len(secrets))
	for _, s := range secrets {
		forms = append(forms, s)
		if b, err := json.Marshal(s); err == nil {
			forms = append(forms, string(b[1:len(b)-1]))
		}
		forms = append(forms, strings.Trim(fmt.Sprintf("%q", s), `"`))
	}
	holds := func(text string) bool {
		return slices.ContainsFunc(forms, func(f string) bool { return f != "" && strings.Contains(text, f) })
	}
	for i, c := range changes {
		if holds(c.Before) || holds(c.After) || holds(c.Summary) {
			changes[i] = Change{Field: c.Field, Summary: HiddenSecret}
		}
	}
}

// String renders the change on one line: `image: "app:v1" -> "app:v2"`, `ports: (none) ->
// "8080:80/tcp"`, or `env: VERSION changed (values hidden)`.
func (c Change) String() string {
	if c.Summary != "" {
		return c.Field + ": " + c.Summary
	}
	return fmt.Sprintf("%s: %s -> %s", c.Field, quotedOrNone(c.Before), quotedOrNone(c.After))
}

func quotedOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return fmt.Sprintf("%q", s)
}

// aspect renders one part of a spec, and clears it so that the rest can be compared.
type aspect struct {
	field  string
	render func(s *swarm.ServiceSpec) string
	clear  func(s *swarm.ServiceSpec)
}

func containerOf(s *swarm.ServiceSpec) *swarm.ContainerSpec {
	if s.TaskTemplate.ContainerSpec == nil {
		s.TaskTemplate.ContainerSpec = &swarm.ContainerSpec{}
	}
	return s.TaskTemplate.ContainerSpec
}

var aspects = []aspect{
	{"image", func(s *swarm.ServiceSpec) string { return containerOf(s).Image },
		func(s *swarm.ServiceSpec) { containerOf(s).Image = "" }},
	{"replicas", func(s *swarm.ServiceSpec) string { return modeString(s.Mode) },
		func(s *swarm.ServiceSpec) { s.Mode = swarm.ServiceMode{} }},
	{"ports", func(s *swarm.ServiceSpec) string { return portsString(s.EndpointSpec) },
		func(s *swarm.ServiceSpec) {
			if s.EndpointSpec != nil {
				s.EndpointSpec.Ports = nil
			}
		}},
	{"labels", func(s *swarm.ServiceSpec) string { return labelsString(s.Labels) },
		func(s *swarm.ServiceSpec) { s.Labels = nil }},
	{"container_labels", func(s *swarm.ServiceSpec) string { return labelsString(containerOf(s).Labels) },
		func(s *swarm.ServiceSpec) { containerOf(s).Labels = nil }},
	{"secrets", func(s *swarm.ServiceSpec) string {
		var out []string
		for _, r := range containerOf(s).Secrets {
			out = append(out, refString(r.SecretName, r.File))
		}
		return strings.Join(out, ", ")
	}, func(s *swarm.ServiceSpec) { containerOf(s).Secrets = nil }},
	{"configs", func(s *swarm.ServiceSpec) string {
		var out []string
		for _, r := range containerOf(s).Configs {
			var f *swarm.SecretReferenceFileTarget
			if r.File != nil {
				f = (*swarm.SecretReferenceFileTarget)(r.File)
			}
			out = append(out, refString(r.ConfigName, f))
		}
		return strings.Join(out, ", ")
	}, func(s *swarm.ServiceSpec) { containerOf(s).Configs = nil }},
	{"networks", func(s *swarm.ServiceSpec) string {
		var out []string
		for _, n := range s.TaskTemplate.Networks {
			out = append(out, n.Target)
		}
		return strings.Join(out, ", ")
	}, func(s *swarm.ServiceSpec) { s.TaskTemplate.Networks = nil }},
	{"resources", func(s *swarm.ServiceSpec) string { return compactJSON(s.TaskTemplate.Resources) },
		func(s *swarm.ServiceSpec) { s.TaskTemplate.Resources = nil }},
	{"command", func(s *swarm.ServiceSpec) string {
		return strings.TrimSpace(strings.Join(append(slices.Clone(containerOf(s).Command), containerOf(s).Args...), " "))
	}, func(s *swarm.ServiceSpec) { containerOf(s).Command, containerOf(s).Args = nil, nil }},
	{"healthcheck", func(s *swarm.ServiceSpec) string { return compactJSON(containerOf(s).Healthcheck) },
		func(s *swarm.ServiceSpec) { containerOf(s).Healthcheck = nil }},
	{"update_config", func(s *swarm.ServiceSpec) string { return compactJSON(s.UpdateConfig) },
		func(s *swarm.ServiceSpec) { s.UpdateConfig = nil }},
	{"rollback_config", func(s *swarm.ServiceSpec) string { return compactJSON(s.RollbackConfig) },
		func(s *swarm.ServiceSpec) { s.RollbackConfig = nil }},
	{"placement", func(s *swarm.ServiceSpec) string { return compactJSON(s.TaskTemplate.Placement) },
		func(s *swarm.ServiceSpec) { s.TaskTemplate.Placement = nil }},
	{"restart_policy", func(s *swarm.ServiceSpec) string { return compactJSON(s.TaskTemplate.RestartPolicy) },
		func(s *swarm.ServiceSpec) { s.TaskTemplate.RestartPolicy = nil }},
	{"mounts", func(s *swarm.ServiceSpec) string { return compactJSON(containerOf(s).Mounts) },
		func(s *swarm.ServiceSpec) { containerOf(s).Mounts = nil }},
}

// Diff lists what differs between two normalized specs.
func Diff(before, after swarm.ServiceSpec) []Change {
	b, a := copySpec(before), copySpec(after)
	var out []Change
	for _, asp := range aspects {
		if rb, ra := asp.render(&b), asp.render(&a); rb != ra {
			out = append(out, Change{Field: asp.field, Before: rb, After: ra})
		}
		asp.clear(&b)
		asp.clear(&a)
	}
	if c, ok := envChange(containerOf(&b).Env, containerOf(&a).Env); ok {
		out = append(out, c)
	}
	containerOf(&b).Env, containerOf(&a).Env = nil, nil
	return append(out, diffPaths("", pruned(b), pruned(a))...)
}

// envChange names the variables added, changed and removed, without their values.
func envChange(before, after []string) (Change, bool) {
	toMap := func(env []string) map[string]string {
		m := map[string]string{}
		for _, e := range env {
			k, v, _ := strings.Cut(e, "=")
			m[k] = v
		}
		return m
	}
	b, a := toMap(before), toMap(after)
	var added, changed, removed []string
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if old, ok := b[k]; !ok {
			added = append(added, k)
		} else if old != a[k] {
			changed = append(changed, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[k]; !ok {
			removed = append(removed, k)
		}
	}
	if len(added)+len(changed)+len(removed) == 0 {
		return Change{}, false
	}
	var parts []string
	for _, p := range []struct {
		keys []string
		what string
	}{{changed, "changed"}, {added, "added"}, {removed, "removed"}} {
		if len(p.keys) > 0 {
			parts = append(parts, listWords(p.keys)+" "+p.what)
		}
	}
	return Change{Field: "env", Summary: strings.Join(parts, ", ") + " (values hidden)"}, true
}

// listWords joins words as in a sentence: "A", "A and B", "A, B and C".
func listWords(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// diffPaths lists the values that differ between two pruned JSON values, by dotted path.
func diffPaths(prefix string, a, b any) []Change {
	if reflect.DeepEqual(a, b) {
		return nil
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if a == nil && bok {
		am, aok = map[string]any{}, true
	}
	if b == nil && aok {
		bm, bok = map[string]any{}, true
	}
	if !aok || !bok {
		render := func(v any) string {
			if v == nil {
				return ""
			}
			b, _ := json.Marshal(humanDurations(v))
			return string(b)
		}
		return []Change{{Field: strings.TrimPrefix(prefix, "."), Before: render(a), After: render(b)}}
	}
	keys := map[string]bool{}
	for k := range am {
		keys[k] = true
	}
	for k := range bm {
		keys[k] = true
	}
	var out []Change
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		out = append(out, diffPaths(prefix+"."+k, am[k], bm[k])...)
	}
	return out
}

func modeString(m swarm.ServiceMode) string {
	switch {
	case m.Global != nil:
		return "global"
	case m.Replicated != nil && m.Replicated.Replicas != nil:
		return fmt.Sprint(*m.Replicated.Replicas)
	case m.Replicated != nil:
		return "1"
	case m.ReplicatedJob != nil:
		return "replicated-job"
	case m.GlobalJob != nil:
		return "global-job"
	}
	return ""
}

func portsString(ep *swarm.EndpointSpec) string {
	if ep == nil {
		return ""
	}
	var out []string
	for _, p := range ep.Ports {
		s := fmt.Sprintf("%d:%d/%s", p.PublishedPort, p.TargetPort, orDefault(string(p.Protocol), "tcp"))
		if p.PublishMode == swarm.PortConfigPublishModeHost {
			s += " (host)"
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

func labelsString(labels map[string]string) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if k == convert.LabelNamespace {
			continue
		}
		out = append(out, k+"="+labels[k])
	}
	return strings.Join(out, ", ")
}

func refString(name string, f *swarm.SecretReferenceFileTarget) string {
	if f == nil {
		return name
	}
	return fmt.Sprintf("%s as %s (%s:%s %#o)", name, f.Name, f.UID, f.GID, f.Mode)
}

// compactJSON renders a value as compact JSON with empty fields dropped and durations readable.
func compactJSON(v any) string {
	p := pruned(v)
	if p == nil {
		return ""
	}
	b, _ := json.Marshal(humanDurations(p))
	return string(b)
}

// humanDurations rewrites the nanosecond numbers of the duration fields as "1.5s", and drops
// the zero numbers and false flags of objects, for display.
func humanDurations(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if e == float64(0) || e == false {
				delete(t, k)
				continue
			}
			if n, ok := e.(float64); ok && isDurationField(k) {
				t[k] = time.Duration(n).String()
				continue
			}
			t[k] = humanDurations(e)
		}
	case []any:
		for i, e := range t {
			t[i] = humanDurations(e)
		}
	}
	return v
}

func isDurationField(k string) bool {
	switch k {
	case "Interval", "Timeout", "StartPeriod", "StartInterval", "Delay", "Monitor", "Window":
		return true
	}
	return false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
