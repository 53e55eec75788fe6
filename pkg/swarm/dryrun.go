package swarm

import "github.com/moby/moby/api/types/swarm"

// reportDryRun fills the result with what a deploy would do.
func (d *deployer) reportDryRun() {
	for _, s := range d.services {
		r := d.result.service(s.name)
		r.Image = s.spec.TaskTemplate.ContainerSpec.Image
		r.Desired = specReplicas(s.spec)
		switch {
		case s.existing == nil:
			r.State, r.Changed = StateWouldCreate, true
		case len(s.changes) > 0:
			r.State, r.Changed, r.Changes = StateWouldUpdate, true, s.changes
			r.ImageBefore = s.existing.Spec.TaskTemplate.ContainerSpec.Image
		default:
			r.State = StateUnchanged
			r.ImageBefore = r.Image
		}
		if r.Changed {
			d.result.Changed = append(d.result.Changed, s.name)
		}
	}
	for _, s := range d.prune {
		r := d.result.service(s.Spec.Name)
		r.ImageBefore = imageOf(s.Spec)
		if d.opts.Prune {
			r.State, r.Changed = StateWouldRemove, true
			d.result.Changed = append(d.result.Changed, s.Spec.Name)
		} else {
			r.State, r.Image = StateUnchanged+" (not in the files)", r.ImageBefore
		}
	}
	d.log.Infof("dry run: %d of %d services would change in stack %s; nothing was changed",
		len(d.result.Changed), len(d.result.Services), d.opts.Stack)
	for _, name := range d.result.Networks {
		d.log.Infof("would create network %s", name)
	}
	for _, objs := range []map[string]*fileObject{d.secrets, d.configs} {
		for _, o := range sortedObjects(objs) {
			if o.id == "" && !o.external {
				d.log.Infof("would create %s %s (%s)", o.kind, o.name, o.key)
			}
		}
	}
	for _, r := range d.result.Services {
		d.log.Infof("%s: %s", r.Name, r.State)
		for _, c := range r.Changes {
			d.log.Infof("  %s", c)
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
