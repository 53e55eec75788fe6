package cloudbuild

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"

	"github.com/twittix/infra/pkg/field"
)

// Image is an image the build pushed.
type Image struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
}

// Ref is name@digest (the tag, if any, dropped), what deploys should pin.
func (i Image) Ref() string {
	return repository(i.Name) + "@" + i.Digest
}

// repository is an image name without its tag or digest.
func repository(img string) string {
	if i := strings.Index(img, "@"); i >= 0 {
		img = img[:i]
	}
	if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
		img = img[:i]
	}
	return img
}

// Step is a build step as it ended.
type Step struct {
	Index  int
	ID     string
	Name   string
	Status string
	// Started is when the step started (zero when it did not), Duration how long it ran (0
	// until it ended), from the step's timing in the build.
	Started  time.Time
	Duration time.Duration
}

// Label names the step for people: Step #1 "test" (golang:1.26).
func (s Step) Label() string {
	return StepLabel(s.Index, &cloudbuildpb.BuildStep{Id: s.ID, Name: s.Name})
}

// Result is what a build did.
type Result struct {
	BuildID string
	Status  string // QUEUED (async), SUCCESS, FAILURE, TIMEOUT, CANCELLED, ...
	LogURL  string
	// Images are the images pushed, with their digests, from results.images.
	Images []Image
	// Started is when the build started (zero while queued); Duration its run time (start to
	// finish; 0 until it finishes).
	Started  time.Time
	Duration time.Duration
	Steps    []Step
	// Source is the uploaded archive (nil when nothing was uploaded).
	Source *Staged
	// Detail explains a failure (status detail, failure info).
	Detail string
	// LastLines are the last lines of the log: of the failed step when one failed.
	LastLines []string
	// Build is the final build as the API returned it.
	Build *cloudbuildpb.Build
}

// ImagesJSON renders the images as a JSON array of name@digest.
func (r *Result) ImagesJSON() string {
	refs := make([]string, 0, len(r.Images))
	for _, i := range r.Images {
		refs = append(refs, i.Ref())
	}
	b, _ := json.Marshal(refs)
	return string(b)
}

// Digest is the digest of the first image, "" when none.
func (r *Result) Digest() string {
	if len(r.Images) == 0 {
		return ""
	}
	return r.Images[0].Digest
}

// FailedStep is the first step that did not succeed in a failed build, nil when none did.
func (r *Result) FailedStep() *Step {
	for i, s := range r.Steps {
		switch s.Status {
		case "FAILURE", "TIMEOUT", "INTERNAL_ERROR":
			return &r.Steps[i]
		}
	}
	return nil
}

// lastLinesShown is how many log lines a failure shows.
const lastLinesShown = 15

func newResult(b *cloudbuildpb.Build, tail *tailer) *Result {
	r := &Result{BuildID: b.GetId(), Status: b.GetStatus().String(), LogURL: b.GetLogUrl(), Build: b}
	for _, img := range b.GetResults().GetImages() {
		r.Images = append(r.Images, Image{Name: img.GetName(), Digest: img.GetDigest()})
	}
	if b.GetStartTime() != nil {
		r.Started = b.GetStartTime().AsTime()
	}
	if b.GetStartTime() != nil && b.GetFinishTime() != nil {
		r.Duration = b.GetFinishTime().AsTime().Sub(b.GetStartTime().AsTime())
	}
	for i, s := range b.GetSteps() {
		st := Step{Index: i, ID: s.GetId(), Name: s.GetName(), Status: s.GetStatus().String()}
		if t := s.GetTiming(); t.GetStartTime() != nil {
			st.Started = t.GetStartTime().AsTime()
			if t.GetEndTime() != nil {
				st.Duration = t.GetEndTime().AsTime().Sub(st.Started)
			}
		}
		r.Steps = append(r.Steps, st)
	}
	switch {
	case b.GetFailureInfo().GetDetail() != "":
		r.Detail = b.GetFailureInfo().GetDetail()
	case b.GetStatusDetail() != "":
		r.Detail = b.GetStatusDetail()
	}
	if tail != nil {
		r.LastLines = tail.last.get(lastLinesShown)
		if s := r.FailedStep(); s != nil && tail.perStep[s.Index] != nil {
			r.LastLines = tail.perStep[s.Index].get(lastLinesShown)
		}
	}
	return r
}

// BuildError is a build that did not succeed.
type BuildError struct {
	BuildID, Status, LogURL string
	// Step is the step that failed, when one did.
	Step *Step
	// Detail is Cloud Build's explanation.
	Detail string
	// LastLines are the last lines of the log, of the failed step when there is one.
	LastLines []string
}

func (e *BuildError) Error() string {
	return e.Message(func(f field.Name) string { return string(f) })
}

// Message formats the error with the fields of the request it refers to named by name.
func (e *BuildError) Message(name func(field.Name) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "build %s finished with status %s", e.BuildID, e.Status)
	if e.Step != nil {
		fmt.Fprintf(&b, ": %s ended with %s", e.Step.Label(), e.Step.Status)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, " (%s)", e.Detail)
	}
	switch e.Status {
	case "TIMEOUT":
		fmt.Fprintf(&b, "; raise the %s input if the build needs longer", name(FieldTimeout))
	case "EXPIRED":
		b.WriteString("; the build waited in the queue longer than its queue TTL: check the worker pool's capacity")
	}
	if e.LogURL != "" {
		fmt.Fprintf(&b, "; full log: %s", e.LogURL)
	}
	if len(e.LastLines) > 0 {
		b.WriteString("\nLast lines of the log:\n")
		b.WriteString(strings.Join(e.LastLines, "\n"))
	}
	return b.String()
}

func (r *Result) failure() *BuildError {
	return &BuildError{BuildID: r.BuildID, Status: r.Status, LogURL: r.LogURL, Step: r.FailedStep(), Detail: r.Detail, LastLines: r.LastLines}
}
