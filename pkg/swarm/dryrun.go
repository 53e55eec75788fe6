package swarm

import "github.com/moby/moby/api/types/swarm"

// reportDryRun fills the result with what the plan would do, and logs it.
func (r *run) reportDryRun(p *plan, res *Result) {
	for _, n := range p.networks {
		res.Networks = append(res.Networks, n.name)
	}
	for _, o := range p.newObjects() {
		if o.Kind == kindSecret {
			res.Secrets = append(res.Secrets, o.Name)
		} else {
			res.Configs = append(res.Configs, o.Name)
		}
	}
	for _, s := range p.services {
		sr := res.service(s.name)
		sr.Image = s.spec.TaskTemplate.ContainerSpec.Image
		sr.Desired = specReplicas(s.spec)
		switch {
		case s.existing == nil:
			sr.State, sr.Changed = StateWouldCreate, true
		case len(s.changes) > 0:
			sr.State, sr.Changed, sr.Changes = StateWouldUpdate, true, s.changes
			sr.ImageBefore = s.existing.Spec.TaskTemplate.ContainerSpec.Image
		default:
			sr.State = StateUnchanged
			sr.ImageBefore = sr.Image
		}
		if sr.Changed {
			res.Changed = append(res.Changed, s.name)
		}
	}
	for _, s := range p.prune {
		sr := res.service(s.Spec.Name)
		sr.ImageBefore = imageOf(s.Spec)
		if r.opts.Prune {
			sr.State, sr.Changed = StateWouldRemove, true
			res.Changed = append(res.Changed, s.Spec.Name)
		} else {
			sr.State, sr.Image = StateUnchanged+" (not in the files)", sr.ImageBefore
		}
	}
	r.log.Infof("dry run: %d of %d services would change in stack %s; nothing was changed",
		len(res.Changed), len(res.Services), r.opts.Stack)
	for _, name := range res.Networks {
		r.log.Infof("would create network %s", name)
	}
	for _, o := range p.newObjects() {
		r.log.Infof("would create %s %s (%s)", o.Kind, o.Name, o.Key)
	}
	for _, sr := range res.Services {
		r.log.Infof("%s: %s", sr.Name, sr.State)
		for _, c := range sr.Changes {
			r.log.Infof("  %s", c)
		}
	}
}

func specReplicas(spec swarm.ServiceSpec) uint64 {
	if r := spec.Mode.Replicated; r != nil {
		if r.Replicas != nil {
			return *r.Replicas
		}
		return 1
	}
	return 0
}

func imageOf(spec swarm.ServiceSpec) string {
	if spec.TaskTemplate.ContainerSpec != nil {
		return spec.TaskTemplate.ContainerSpec.Image
	}
	return ""
}
