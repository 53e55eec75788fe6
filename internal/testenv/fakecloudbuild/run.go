package fakecloudbuild

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Reasons a runner stops waiting.
var (
	errCancelled    = errors.New("cancelled")
	errBuildTimeout = errors.New("build timeout")
	errStepTimeout  = errors.New("step timeout")
	errClosed       = errors.New("server closed")
)

// runner executes one build.
type runner struct {
	s        *Server
	st       *buildState
	b        *cloudbuildpb.Build // the build with its substitutions applied; steps read from it
	deadline time.Time
	files    map[string]srcFile // the source, by path
	images   map[string]string  // tags built locally -> image ID
	pushed   map[string]string  // tags pushed -> digest
}

// run moves the build through its statuses; it owns the build until it is terminal.
func (s *Server) run(st *buildState, forced *forcedOutcome) {
	defer s.wg.Done()
	s.mu.Lock()
	b := st.snapshot()
	s.mu.Unlock()
	values := map[string]string{"PROJECT_ID": b.ProjectId, "BUILD_ID": b.Id, "LOCATION": st.location,
		"PROJECT_NUMBER": fmt.Sprint(s.ProjectNumber(b.ProjectId))}
	for k, v := range b.Substitutions {
		values[k] = v
	}
	substituteBuild(b, values)
	r := &runner{s: s, st: st, b: b, images: map[string]string{}, pushed: map[string]string{}}
	if err := r.queue(); err != nil {
		r.stop(err)
		return
	}
	err := r.execute(forced)
	r.stop(err)
}

// queue waits in the queue; a build still queued after its queue_ttl expires.
func (r *runner) queue() error {
	ttl := r.b.GetQueueTtl().AsDuration()
	if ttl > 0 && ttl < r.s.opts.QueueDelay {
		if err := r.wait(ttl, time.Time{}); err != nil {
			return err
		}
		r.update(func(b *cloudbuildpb.Build) {
			finish(b, cloudbuildpb.Build_EXPIRED)
			b.StatusDetail = "build expired: it stayed queued longer than its queue_ttl"
		})
		return nil
	}
	if err := r.wait(r.s.opts.QueueDelay, time.Time{}); err != nil {
		return err
	}
	now := time.Now()
	r.deadline = now.Add(r.b.GetTimeout().AsDuration())
	r.update(func(b *cloudbuildpb.Build) {
		b.Status = cloudbuildpb.Build_WORKING
		b.StartTime = timestamppb.New(now)
	})
	return nil
}

// execute runs the phases of a started build and returns why it stopped early, if it did.
func (r *runner) execute(forced *forcedOutcome) error {
	if r.status() != cloudbuildpb.Build_WORKING {
		return nil // expired in the queue
	}
	if err := r.log("starting build %q", r.b.Id); err != nil {
		return err
	}
	if err := r.fetchSource(); err != nil {
		return err
	}
	if forced != nil {
		r.fail(forced.status, nil, forced.detail)
		return nil
	}
	if err := r.log("BUILD"); err != nil {
		return err
	}
	for i := range r.b.Steps {
		failed, err := r.runStep(i)
		if err != nil || failed {
			return err
		}
	}
	if err := r.push(); err != nil {
		return err
	}
	if r.status() != cloudbuildpb.Build_WORKING {
		return nil
	}
	if err := r.log("DONE"); err != nil {
		return err
	}
	r.update(func(b *cloudbuildpb.Build) { finish(b, cloudbuildpb.Build_SUCCESS) })
	return nil
}

// stop turns the reason the runner stopped into the terminal status.
func (r *runner) stop(err error) {
	switch {
	case err == nil, errors.Is(err, errCancelled), errors.Is(err, errClosed):
		// Done, or cancelled (CancelBuild set the status), or the server is going away.
	case errors.Is(err, errBuildTimeout), errors.Is(err, errStepTimeout):
		r.logQuiet("TIMEOUT")
		r.logQuiet("ERROR: context deadline exceeded")
		r.update(func(b *cloudbuildpb.Build) {
			finish(b, cloudbuildpb.Build_TIMEOUT)
			b.StatusDetail = "build timed out"
			if errors.Is(err, errStepTimeout) {
				b.StatusDetail = "build step timed out"
			}
		})
	default:
		r.fail(cloudbuildpb.Build_INTERNAL_ERROR, nil, err.Error())
	}
}

// fail ends the build with st, recording failure information.
func (r *runner) fail(st cloudbuildpb.Build_Status, info *cloudbuildpb.Build_FailureInfo, detail string) {
	r.logQuiet("ERROR")
	r.logQuiet("ERROR: %s", detail)
	r.update(func(b *cloudbuildpb.Build) {
		if terminal(b.Status) {
			return
		}
		finish(b, st)
		b.StatusDetail = detail
		b.FailureInfo = info
	})
}

// push pushes the images of the build and records their digests.
func (r *runner) push() error {
	if len(r.b.Images) == 0 {
		return nil
	}
	start := timestamppb.Now()
	if err := r.log("PUSH"); err != nil {
		return err
	}
	var results []*cloudbuildpb.BuiltImage
	for _, img := range r.b.Images {
		if _, ok := r.images[img]; !ok {
			if _, ok := r.pushed[img]; !ok {
				r.fail(cloudbuildpb.Build_FAILURE, &cloudbuildpb.Build_FailureInfo{Type: cloudbuildpb.Build_FailureInfo_PUSH_IMAGE_NOT_FOUND,
					Detail: "An image does not exist locally with the tag: " + img}, "An image does not exist locally with the tag: "+img)
				return nil
			}
		}
		pushStart := timestamppb.Now()
		digest := r.digest(img)
		for _, line := range []string{"Pushing " + img, "The push refers to repository [" + repository(img) + "]", tagOf(img) + ": digest: " + digest + " size: 1570"} {
			if err := r.log("%s", line); err != nil {
				return err
			}
		}
		results = append(results, &cloudbuildpb.BuiltImage{Name: img, Digest: digest,
			PushTiming: &cloudbuildpb.TimeSpan{StartTime: pushStart, EndTime: timestamppb.Now()}})
	}
	r.update(func(b *cloudbuildpb.Build) {
		if b.Results == nil {
			b.Results = &cloudbuildpb.Results{}
		}
		b.Results.Images = results
		if b.Timing == nil {
			b.Timing = map[string]*cloudbuildpb.TimeSpan{}
		}
		b.Timing["PUSH"] = &cloudbuildpb.TimeSpan{StartTime: start, EndTime: timestamppb.Now()}
	})
	return nil
}

// digest is the digest an image gets: derived from the build and the name, so it is stable for a
// build and differs between builds.
func (r *runner) digest(img string) string {
	if d, ok := r.pushed[img]; ok {
		return d
	}
	return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(r.b.Id+"\x00"+img)))
}

// repository is the image name without its tag or digest.
func repository(img string) string {
	if i := strings.Index(img, "@"); i >= 0 {
		img = img[:i]
	}
	if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
		img = img[:i]
	}
	return img
}

// tagOf is the tag of an image name, "latest" when none.
func tagOf(img string) string {
	if strings.Contains(img, "@") {
		return "latest"
	}
	if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
		return img[i+1:]
	}
	return "latest"
}

// status returns the current status of the build.
func (r *runner) status() cloudbuildpb.Build_Status {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return r.st.b.Status
}

// update changes the build under the lock, unless it was cancelled meanwhile.
func (r *runner) update(f func(b *cloudbuildpb.Build)) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if r.st.b.Status == cloudbuildpb.Build_CANCELLED {
		return
	}
	f(r.st.b)
}

// log appends a line to the build log (and its object in the logs bucket), then waits a tick.
func (r *runner) log(format string, args ...any) error {
	r.logQuiet(format, args...)
	return r.wait(r.s.opts.Tick, time.Time{})
}

// logQuiet appends a line without waiting.
func (r *runner) logQuiet(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	r.s.mu.Lock()
	if r.st.cancelled {
		r.s.mu.Unlock()
		return
	}
	r.st.log = append(r.st.log, line...)
	r.st.log = append(r.st.log, '\n')
	content := append([]byte(nil), r.st.log...)
	bucket, object := r.st.logBucket, r.st.logObject
	r.s.mu.Unlock()
	at := time.Now() // the append starts: a reader may see the line from now on
	if bucket != "" {
		r.s.GCS.Fake.CreateObject(fakestorage.Object{
			ObjectAttrs: fakestorage.ObjectAttrs{BucketName: bucket, Name: object, ContentType: "text/plain; charset=utf-8"},
			Content:     content,
		})
	}
	r.s.mu.Lock()
	r.st.lines = append(r.st.lines, LogLine{Text: line, At: at})
	r.s.mu.Unlock()
}

// wait sleeps d unless the build is cancelled, times out (or its step, at stepDeadline), or the
// server closes.
func (r *runner) wait(d time.Duration, stepDeadline time.Time) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	var buildTimeout, stepTimeout <-chan time.Time
	if !r.deadline.IsZero() {
		t := time.NewTimer(time.Until(r.deadline))
		defer t.Stop()
		buildTimeout = t.C
	}
	if !stepDeadline.IsZero() {
		t := time.NewTimer(time.Until(stepDeadline))
		defer t.Stop()
		stepTimeout = t.C
	}
	select {
	case <-timer.C:
		return nil
	case <-r.st.cancel:
		return errCancelled
	case <-r.s.done:
		return errClosed
	case <-buildTimeout:
		return errBuildTimeout
	case <-stepTimeout:
		return errStepTimeout
	}
}
