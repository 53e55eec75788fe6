package cloudbuild

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"github.com/twittix/infra/pkg/gcp"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// SubmissionTag returns a build tag unique to one submission: gha-RUNID-ATTEMPT-NONCE in a
// workflow run, local-NONCE elsewhere (runID 0). It lets Submit find the build when the answer to
// CreateBuild is lost, and people find the build of a run in the console.
func SubmissionTag(runID, runAttempt int64) string {
	nonce := make([]byte, 6)
	_, _ = rand.Read(nonce) // never fails (crypto/rand)
	if runID <= 0 {
		return fmt.Sprintf("local-%x", nonce)
	}
	return fmt.Sprintf("gha-%d-%d-%x", runID, max(runAttempt, 1), nonce)
}

// Submit creates the build in parent (projects/P/locations/R), tagged with tag (see
// SubmissionTag), and returns it as created (QUEUED), its ID, name and log URL set.
//
// CreateBuild is not idempotent: calling it again after an answer was lost would start a second
// build, which nobody follows or cancels. So a CreateBuild that failed after it may have reached
// the service (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, ...) is followed by a search for the build
// by its tag, and submitted again only when none is found; RESOURCE_EXHAUSTED, refused before
// anything is created, is retried directly. When ctx ends while the build may be being created
// (the job is cancelled), the build found by the tag is cancelled: the error then comes with it.
func (c *Client) Submit(ctx context.Context, parent, project string, b *cloudbuildpb.Build, tag string) (*cloudbuildpb.Build, error) {
	b = proto.Clone(b).(*cloudbuildpb.Build)
	if !slices.Contains(b.Tags, tag) {
		b.Tags = append(b.Tags, tag)
	}
	req := &cloudbuildpb.CreateBuildRequest{Parent: parent, ProjectId: project, Build: b}
	var created *cloudbuildpb.Build
	unsure, everUnsure := false, false // whether the last CreateBuild may have created the build unseen
	err := gcp.Retry(ctx, c.retry, func(ctx context.Context) error {
		if unsure {
			found, err := c.findTagged(ctx, parent, project, tag)
			if err != nil {
				return fmt.Errorf("failed to look for the build tagged %s after CreateBuild failed: %w", tag, err)
			}
			if len(found) > 0 {
				created = found[0]
				c.log.Warnf("The answer to CreateBuild was lost, but build %s was created: following it", created.Id)
				return nil
			}
			unsure = false // not created: submit again
		}
		op, err := c.builds.CreateBuild(ctx, req)
		if err != nil {
			unsure = mayHaveCreated(err)
			everUnsure = everUnsure || unsure
			return err
		}
		md, err := op.Metadata()
		if err != nil {
			unsure, everUnsure = true, true
			return fmt.Errorf("failed to read the build from its operation: %w", err)
		}
		created = md.GetBuild()
		return nil
	})
	switch {
	case err == nil:
	case ctx.Err() != nil && unsure:
		return c.abandon(ctx, parent, project, tag)
	case unsure:
		// The retries are spent, or the error is not one to retry: one last look.
		found, ferr := c.findTagged(ctx, parent, project, tag)
		if ferr != nil || len(found) == 0 {
			return nil, fmt.Errorf("failed to create the build in %s: %w (a build tagged %s may exist: look for it in the console)",
				parent, gcp.Explain(err), tag)
		}
		created = found[0]
		c.log.Warnf("The answer to CreateBuild was lost, but build %s was created: following it", created.Id)
	default:
		return nil, fmt.Errorf("failed to create the build in %s: %w", parent, gcp.Explain(err))
	}
	if created.GetId() == "" {
		return nil, fmt.Errorf("the build created in %s has no ID", parent)
	}
	named(parent, created)
	if everUnsure {
		c.cancelDuplicates(ctx, parent, project, tag, created)
	}
	return created, nil
}

// mayHaveCreated reports whether a failed CreateBuild may have created the build: every failure
// but the service's refusals (invalid, denied, quota...).
func mayHaveCreated(err error) bool {
	switch status.Code(err) {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange, codes.PermissionDenied, codes.Unauthenticated,
		codes.NotFound, codes.AlreadyExists, codes.ResourceExhausted, codes.Unimplemented:
		return false
	}
	return true
}

// findTagged lists the builds of parent that carry tag, oldest first.
func (c *Client) findTagged(ctx context.Context, parent, project, tag string) ([]*cloudbuildpb.Build, error) {
	it := c.builds.ListBuilds(ctx, &cloudbuildpb.ListBuildsRequest{Parent: parent, ProjectId: project, Filter: fmt.Sprintf("tags=%q", tag), PageSize: 10})
	var found []*cloudbuildpb.Build
	for {
		b, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, gcp.Explain(err)
		}
		if slices.Contains(b.GetTags(), tag) { // whatever the filter did
			found = append(found, named(parent, b))
		}
	}
	slices.SortStableFunc(found, func(a, b *cloudbuildpb.Build) int {
		return a.GetCreateTime().AsTime().Compare(b.GetCreateTime().AsTime())
	})
	return found, nil
}

// named sets the build's name when the API left it out.
func named(parent string, b *cloudbuildpb.Build) *cloudbuildpb.Build {
	if b.Name == "" {
		b.Name = parent + "/builds/" + b.Id
	}
	return b
}

// cancelDuplicates cancels the builds of the submission other than the one followed: a CreateBuild
// whose answer was lost may have created one the search did not see yet.
func (c *Client) cancelDuplicates(ctx context.Context, parent, project, tag string, keep *cloudbuildpb.Build) {
	found, err := c.findTagged(ctx, parent, project, tag)
	if err != nil {
		c.log.Warnf("could not check that CreateBuild, retried, started no other build (tag %s): %v", tag, err)
		return
	}
	for _, b := range found {
		if b.Id == keep.Id || Terminal(b.Status) {
			continue
		}
		if _, err := c.Cancel(ctx, b); err != nil {
			c.log.Warnf("Build %s was started twice by a retried CreateBuild; failed to cancel the copy %s: %v", keep.Id, b.Id, err)
			continue
		}
		c.log.Warnf("Build %s was started twice by a retried CreateBuild: cancelled the copy %s", keep.Id, b.Id)
	}
}

// lookupWindow is how long a build created as the job was cancelled is looked for: the request may
// reach the service after the client gave up on it. It leaves time for CancelBuild in the
// cancellation budget.
const lookupWindow = 2500 * time.Millisecond

// abandon handles a submission interrupted by the end of ctx (the job is cancelled) when the build
// may have been created: it looks for the build by its tag for a little while and cancels it,
// within the cancellation budget. The build returned, if any, is the one found.
func (c *Client) abandon(ctx context.Context, parent, project, tag string) (*cloudbuildpb.Build, error) {
	cctx, cancel := c.cancelContext(ctx)
	defer cancel()
	found, err := c.lookFor(cctx, parent, project, tag)
	if len(found) == 0 {
		why := "none was found"
		if err != nil {
			why = fmt.Sprintf("the search failed: %v", err)
		}
		return nil, fmt.Errorf("the job was cancelled (%v) while the build was being created; looked for a build tagged %s to cancel: %s; check the console",
			context.Cause(ctx), tag, why)
	}
	var errs []error
	for i, b := range found {
		got, err := c.cancelAndReport(cctx, b)
		if err != nil {
			errs = append(errs, err)
		}
		found[i] = got
	}
	errs = append(errs, fmt.Errorf("build %s cancelled because the job was cancelled (%v) while it was being created", found[0].Id, context.Cause(ctx)))
	return found[0], errors.Join(errs...)
}

// lookFor searches the builds tagged tag until one shows up or lookupWindow passes.
func (c *Client) lookFor(ctx context.Context, parent, project, tag string) ([]*cloudbuildpb.Build, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupWindow)
	defer cancel()
	var lastErr error
	for {
		found, err := c.findTagged(ctx, parent, project, tag)
		if len(found) > 0 {
			return found, nil
		}
		if ctx.Err() != nil {
			return nil, lastErr
		}
		lastErr = err
		t := time.NewTimer(250 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, lastErr
		case <-t.C:
		}
	}
}
