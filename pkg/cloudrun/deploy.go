package cloudrun

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/twittix/infra/pkg/cloudrun/traffic"
)

// EnvVar is a plain environment variable of the container.
type EnvVar struct {
	Name, Value string
}

// SecretEnv is an environment variable read from a Secret Manager secret version.
type SecretEnv struct {
	// Name is the variable; Secret the secret's name (or full resource name); Version a version
	// number or "latest".
	Name, Secret, Version string
}

// DeployRequest asks for a new revision of a service, without traffic.
type DeployRequest struct {
	Service ServiceRef
	// Image is the container image of the new revision.
	Image string
	// Container names the container to update; empty means the ingress container (the one with a
	// port), else the first.
	Container string
	// Env and Secrets set (or replace) environment variables; other variables are kept.
	Env     []EnvVar
	Secrets []SecretEnv
	// Labels are set on the service and the new revision.
	Labels map[string]string
	// RevisionSuffix names the revision SERVICE-SUFFIX; empty means TAG-xyz (random letters), or
	// NNNNN-xyz without a tag.
	RevisionSuffix string
	// Tag, when not empty, is put on the new revision so that it has its own URL.
	Tag string
}

// Validate reports every problem of the request at once.
func (r DeployRequest) Validate() error {
	errs := []error{r.Service.Validate()}
	if r.Image == "" {
		errs = append(errs, errors.New("the image is empty: name the image to deploy, e.g. europe-docker.pkg.dev/PROJECT/REPO/web:1.2.3"))
	}
	if r.Tag != "" && !traffic.ValidName(r.Tag) {
		errs = append(errs, fmt.Errorf("tag %q is invalid: tags are lower-case letters, digits and hyphens and start with a letter", r.Tag))
	}
	if r.RevisionSuffix != "" {
		if name := r.Service.Service + "-" + r.RevisionSuffix; !traffic.ValidName(name) {
			errs = append(errs, fmt.Errorf("revision suffix %q gives the revision name %q, which is invalid: use lower-case letters, digits and hyphens, at most %d characters with the service name", r.RevisionSuffix, name, 62-len(r.Service.Service)))
		}
	}
	for _, e := range r.Env {
		if e.Name == "" {
			errs = append(errs, errors.New("an environment variable has an empty name: write NAME=VALUE"))
		}
	}
	for _, s := range r.Secrets {
		if s.Name == "" || s.Secret == "" {
			errs = append(errs, fmt.Errorf("secret variable %q=%q is incomplete: write NAME=SECRET:VERSION", s.Name, s.Secret))
		}
	}
	return errors.Join(errs...)
}

// Deploy updates the service's template to a new revision that receives no traffic: the current
// split is kept (LATEST pinned to the revision it resolves to), the revision gets the tag, and
// Deploy waits until the revision's own Ready condition is true. A revision that fails is
// reported with its condition message and log URI (a *NotReadyError).
func (c *Client) Deploy(ctx context.Context, req DeployRequest) (*Result, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	ref := req.Service
	svc, err := c.getService(ctx, ref)
	if err != nil {
		return nil, err
	}
	revision := ref.Service + "-" + revisionSuffix(req, svc)
	if !traffic.ValidName(revision) {
		return nil, fmt.Errorf("the revision name %q is invalid or longer than 63 characters: set a shorter revision suffix or tag", revision)
	}
	end := c.log.Group(fmt.Sprintf("Deploy %s as revision %s of %s", req.Image, revision, ref.Service))
	defer end()
	start := c.now()

	plan := func(svc *runpb.Service, reread bool) (*runpb.Service, error) {
		if reread && shortName(svc.GetLatestCreatedRevision()) == revision {
			return nil, nil // our write went through before the conflict was reported
		}
		next := cloneService(svc)
		if err := applyTemplate(next, req, revision); err != nil {
			return nil, err
		}
		pinned, err := traffic.PinLatest(svc.GetTraffic(), shortName(svc.GetLatestReadyRevision()))
		if err != nil {
			return nil, err
		}
		if req.Tag != "" {
			pinned = traffic.SetTag(pinned, req.Tag, revision)
		}
		next.Traffic = pinned
		return next, nil
	}
	wctx, cancel := context.WithTimeout(ctx, c.readyTimeout)
	before, after, err := c.write(wctx, ref, svc, plan)
	// gRPC may report the deadline (DEADLINE_EXCEEDED) a moment before wctx itself expires.
	timedOut := err != nil && ctx.Err() == nil && (wctx.Err() != nil || status.Code(err) == codes.DeadlineExceeded)
	cancel()
	var opErr *OperationError
	switch {
	case errors.As(err, &opErr), timedOut:
		// The update failed or is still running: the revision's own condition says why.
		if rev, rerr := c.getRevision(ctx, ref, revision); rerr == nil {
			state, msg := readiness(rev)
			if state != runpb.Condition_CONDITION_SUCCEEDED {
				waited := time.Duration(0)
				if opErr == nil {
					waited = c.now().Sub(start)
				}
				return nil, &NotReadyError{Revision: revision, State: state, Message: msg, LogURI: rev.GetLogUri(), Waited: waited}
			}
		}
		return nil, err
	case err != nil:
		return nil, err
	}
	if _, err := c.waitReady(ctx, ref, revision, start); err != nil {
		return nil, err
	}
	c.log.Infof("revision %s is ready (%s)", revision, c.now().Sub(start).Round(time.Millisecond))
	if after == before { // written before a conflict was reported: read the outcome
		if after, err = c.getService(ctx, ref); err != nil {
			return nil, err
		}
	}
	r := result(before, after)
	r.Revision, r.Tag, r.TagURL = revision, req.Tag, tagURL(after, req.Tag)
	r.Changed = true
	return r, nil
}

// revisionSuffix returns the suffix of the new revision's name.
func revisionSuffix(req DeployRequest, svc *runpb.Service) string {
	if req.RevisionSuffix != "" {
		return req.RevisionSuffix
	}
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := []byte{letters[rand.IntN(26)], letters[rand.IntN(26)], letters[rand.IntN(26)]}
	if req.Tag != "" {
		return req.Tag + "-" + string(b)
	}
	return fmt.Sprintf("%05d-%s", svc.GetGeneration()+1, b)
}

// applyTemplate sets the image, variables, labels and revision name of next's template.
func applyTemplate(next *runpb.Service, req DeployRequest, revision string) error {
	t := next.GetTemplate()
	if t == nil || len(t.GetContainers()) == 0 {
		return fmt.Errorf("service %s has no container in its template: deploy it once with `gcloud run deploy`", req.Service.Service)
	}
	ctr, err := pickContainer(t.GetContainers(), req.Container)
	if err != nil {
		return err
	}
	ctr.Image = req.Image
	for _, e := range req.Env {
		setEnv(ctr, &runpb.EnvVar{Name: e.Name, Values: &runpb.EnvVar_Value{Value: e.Value}})
	}
	for _, s := range req.Secrets {
		setEnv(ctr, &runpb.EnvVar{Name: s.Name, Values: &runpb.EnvVar_ValueSource{ValueSource: &runpb.EnvVarSource{
			SecretKeyRef: &runpb.SecretKeySelector{Secret: s.Secret, Version: s.Version},
		}}})
	}
	if len(req.Labels) > 0 {
		if next.Labels == nil {
			next.Labels = map[string]string{}
		}
		if t.Labels == nil {
			t.Labels = map[string]string{}
		}
		maps.Copy(next.Labels, req.Labels)
		maps.Copy(t.Labels, req.Labels)
	}
	t.Revision = revision
	return nil
}

func pickContainer(ctrs []*runpb.Container, name string) (*runpb.Container, error) {
	if name != "" {
		i := slices.IndexFunc(ctrs, func(c *runpb.Container) bool { return c.GetName() == name })
		if i < 0 {
			var names []string
			for _, c := range ctrs {
				names = append(names, c.GetName())
			}
			return nil, fmt.Errorf("container %q is not in the service's template (its containers: %v)", name, names)
		}
		return ctrs[i], nil
	}
	if i := slices.IndexFunc(ctrs, func(c *runpb.Container) bool { return len(c.GetPorts()) > 0 }); i >= 0 {
		return ctrs[i], nil
	}
	return ctrs[0], nil
}

func setEnv(c *runpb.Container, v *runpb.EnvVar) {
	for i, e := range c.GetEnv() {
		if e.GetName() == v.GetName() {
			c.Env[i] = v
			return
		}
	}
	c.Env = append(c.Env, v)
}
