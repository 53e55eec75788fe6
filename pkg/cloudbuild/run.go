package cloudbuild

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"github.com/twittix/infra/pkg/cloudbuild/source"
	"github.com/twittix/infra/pkg/field"
	"github.com/twittix/infra/pkg/gcp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ListFiles returns what a build of r would upload, without uploading: the files `gcloud builds
// submit` uploads (not `gcloud meta list-files-for-upload`, which follows links to directories
// and fails on broken links).
func ListFiles(r Request) (*source.Listing, error) {
	l, err := source.List(r.Dir, source.ListOptions{IgnoreFile: r.IgnoreFile})
	if err != nil {
		return nil, field.Errorf(FieldDir, "%v", err)
	}
	return l, nil
}

// Run does a whole build: checks the request (Request.Check), then runs it as RunValid does.
func (c *Client) Run(ctx context.Context, r Request) (*Result, error) {
	v, err := r.Check()
	if err != nil {
		return nil, err
	}
	return c.RunValid(ctx, v)
}

// RunValid does a whole build of a checked request: prepares the Build, uploads the source,
// submits the build and, unless Async, follows it to the end, streaming its log. The error is a
// *BuildError when the build ran and did not succeed; the result is then set too.
func (c *Client) RunValid(ctx context.Context, v ValidRequest) (*Result, error) {
	r := v.Request()
	prepared, err := Prepare(r)
	if err != nil {
		return nil, err
	}
	for _, w := range prepared.Warnings {
		c.log.Warnf("%s", w)
	}
	listing, err := ListFiles(r)
	if err != nil {
		return nil, err
	}
	if r.Image != "" && !slices.Contains(listing.Paths(), "Dockerfile") {
		return nil, field.Errorf(FieldDir, "the Dockerfile is excluded from the upload by the %s rules; remove it from the ignore file", listing.Rules.Source)
	}
	c.describe(listing)
	staged, err := c.Stage(ctx, r.Project, r.StagingDir, listing)
	if err != nil {
		return nil, err
	}
	b := prepared.Build
	b.Source = &cloudbuildpb.Source{Source: &cloudbuildpb.Source_StorageSource{StorageSource: &cloudbuildpb.StorageSource{
		Bucket: staged.Bucket, Object: staged.Object, Generation: staged.Generation,
	}}}
	parent := fmt.Sprintf("projects/%s/locations/%s", r.Project, r.location())
	tag := SubmissionTag(r.RunID, r.RunAttempt)
	created, err := c.Submit(ctx, parent, r.Project, b, tag)
	if err != nil {
		if created != nil { // cancelled as it was being created
			res := newResult(created, nil)
			res.Source = staged
			return res, err
		}
		return nil, explainLocation(r.location(), err)
	}
	c.log.Infof("Created build %s (tag %s)", created.Name, tag)
	if created.LogUrl != "" {
		c.log.Infof("Logs are available at [ %s ].", created.LogUrl)
	}
	if r.Async {
		res := newResult(created, nil)
		res.Source = staged
		return res, nil
	}
	res, err := c.Wait(ctx, created)
	if res != nil {
		res.Source = staged
	}
	return res, err
}

// explainLocation makes the service's refusal of a region it does not serve a *field.Error of the
// Region: well-formed regions are not checked against a list (regions are added over time), so
// this is where a mistyped one shows.
func explainLocation(location string, err error) error {
	if location == GlobalRegion || status.Code(err) != codes.InvalidArgument {
		return err
	}
	known, closest := gcp.KnownRegion(location)
	if known {
		return err
	}
	hint := ""
	if closest != "" {
		hint = fmt.Sprintf(" (did you mean %s?)", closest)
	}
	return field.Errorf(FieldRegion, "Cloud Build refused the build in %q, a region this action does not know%s; check the %s input: %v", location, hint, FieldRegion, err)
}

// describe says what is uploaded, as gcloud does, with what was left out.
func (c *Client) describe(l *source.Listing) {
	c.log.Infof("Creating temporary archive of %d file(s) totalling %s before compression (ignore rules: %s).",
		len(l.Files), humanBytes(l.Bytes), l.Rules.Source)
	if l.Ignored > 0 {
		c.log.Infof("Some files were not included in the source upload: %d path(s) ignored; list them with list_files.", l.Ignored)
	}
	var skipped []string
	for _, s := range l.Skipped {
		skipped = append(skipped, fmt.Sprintf("%s (%s)", s.Path, s.Reason))
	}
	if len(skipped) > 0 {
		c.log.Infof("Not uploaded: %s", strings.Join(skipped, ", "))
	}
}
