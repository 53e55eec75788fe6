package cloudbuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"

	"github.com/twittix/infra/pkg/gcp"
	"github.com/twittix/infra/pkg/logging"
)

// Tail sizes.
const (
	maxReadPerPoll = 4 << 20 // bytes read from the log object in one poll
	maxLineLength  = 64 << 10
	lastLinesKept  = 30
)

// tailer follows the log object of a build (log-<id>.txt in its logs bucket) with byte ranges, as
// gcloud does, and prints each line, each build step in its own log group where the lines say which
// step they belong to.
type tailer struct {
	obj     *storage.ObjectHandle
	url     string
	log     logging.Logger
	steps   []*cloudbuildpb.BuildStep
	offset  int64
	partial []byte
	failed  bool // reading the log failed for good: it is not streamed any more

	endGroup func()
	current  int      // step of the open group, -1 when none
	pending  []string // lines read but not printed yet: printed as one block of remote text

	last    *ring         // the last lines of the build
	perStep map[int]*ring // the last lines of each step
	lines   int
}

// logObject returns the bucket and object a build writes its log to, from its logsBucket.
func logObject(b *cloudbuildpb.Build) (bucket, object string, ok bool) {
	lb := strings.TrimPrefix(b.GetLogsBucket(), "gs://")
	if lb == "" {
		return "", "", false
	}
	bucket, dir, _ := strings.Cut(lb, "/")
	if dir = strings.Trim(dir, "/"); dir != "" {
		dir += "/"
	}
	return bucket, dir + "log-" + b.GetId() + ".txt", true
}

func newTailer(st *storage.Client, b *cloudbuildpb.Build, log logging.Logger) *tailer {
	t := &tailer{log: log, steps: b.GetSteps(), current: -1, last: newRing(lastLinesKept), perStep: map[int]*ring{}}
	if bucket, object, ok := logObject(b); ok {
		t.obj = st.Bucket(bucket).Object(object)
		t.url = "gs://" + bucket + "/" + object
	}
	return t
}

// poll reads what was appended to the log since the last poll and prints the complete lines. A log
// not written yet (404) or with nothing new (416) is not an error.
func (t *tailer) poll(ctx context.Context) error {
	if t.obj == nil {
		return nil
	}
	for {
		r, err := t.obj.NewRangeReader(ctx, t.offset, -1)
		if err != nil {
			var gerr *googleapi.Error
			switch {
			case errors.Is(err, storage.ErrObjectNotExist):
				return nil
			case errors.As(err, &gerr) && gerr.Code == http.StatusRequestedRangeNotSatisfiable:
				return nil
			case gcp.Retryable(err):
				return nil // the next poll tries again, as gcloud does
			}
			return fmt.Errorf("failed to read the build log %s: %w", t.url, gcp.Explain(err))
		}
		data, err := io.ReadAll(io.LimitReader(r, maxReadPerPoll))
		r.Close()
		t.offset += int64(len(data))
		t.feed(data)
		if err != nil {
			return nil // a broken read: the next poll resumes at the offset reached
		}
		if len(data) < maxReadPerPoll {
			return nil
		}
	}
}

// feed splits data into lines, keeping an incomplete last line for later, and prints them.
func (t *tailer) feed(data []byte) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			t.partial = append(t.partial, data...)
			if len(t.partial) > maxLineLength { // a line that never ends: print it in pieces
				t.line(string(t.partial))
				t.partial = t.partial[:0]
			}
			break
		}
		t.partial = append(t.partial, data[:i]...)
		t.line(strings.TrimSuffix(string(t.partial), "\r"))
		t.partial = t.partial[:0]
		data = data[i+1:]
	}
	t.print()
}

// flush prints an incomplete last line and closes the open group.
func (t *tailer) flush() {
	if len(t.partial) > 0 {
		t.line(string(t.partial))
		t.partial = t.partial[:0]
	}
	t.print()
	t.closeGroup()
}

// stepLineRE matches the lines Cloud Build writes for a step: "Starting Step #2 - "test"",
// "Step #2 - "test": output", "Finished Step #2 - "test"" (without " - "id"" for steps with no id).
var stepLineRE = regexp.MustCompile(`^(Starting |Finished )?Step #(\d+)(?: - "[^"]*")?(:|$)`)

func (t *tailer) line(s string) {
	t.lines++
	step := -1
	if m := stepLineRE.FindStringSubmatch(s); m != nil {
		step, _ = strconv.Atoi(m[2])
	}
	switch {
	case step >= 0 && step != t.current:
		t.print()
		t.closeGroup()
		t.endGroup = t.log.Group(t.stepTitle(step))
		t.current = step
	case step < 0 && t.current >= 0:
		t.print()
		t.closeGroup() // PUSH, DONE, ERROR...: the build's own lines
	}
	t.pending = append(t.pending, s)
	t.last.add(s)
	if step >= 0 {
		if t.perStep[step] == nil {
			t.perStep[step] = newRing(lastLinesKept)
		}
		t.perStep[step].add(s)
	}
}

// print prints the lines read since the last call, in their group, as one block of remote text:
// whatever the build prints cannot issue workflow commands.
func (t *tailer) print() {
	logging.Remote(t.log, t.pending...)
	t.pending = nil
}

func (t *tailer) closeGroup() {
	if t.endGroup != nil {
		t.endGroup()
		t.endGroup = nil
	}
	t.current = -1
}

// stepTitle names a step's group: `Step #1 "test" (golang:1.26)`.
func (t *tailer) stepTitle(i int) string {
	if i < len(t.steps) {
		return StepLabel(i, t.steps[i])
	}
	return fmt.Sprintf("Step #%d", i)
}

// StepLabel names a step for people: Step #1 "test" (golang:1.26).
func StepLabel(i int, s *cloudbuildpb.BuildStep) string {
	label := fmt.Sprintf("Step #%d", i)
	if s.GetId() != "" {
		label += fmt.Sprintf(" %q", s.GetId())
	}
	return label + " (" + s.GetName() + ")"
}

// ring keeps the last n lines.
type ring struct {
	lines []string
	next  int
	full  bool
}

func newRing(n int) *ring { return &ring{lines: make([]string, n)} }

func (r *ring) add(s string) {
	r.lines[r.next] = s
	r.next = (r.next + 1) % len(r.lines)
	if r.next == 0 {
		r.full = true
	}
}

// get returns the kept lines, oldest first; the last max of them when max > 0.
func (r *ring) get(max int) []string {
	if r == nil {
		return nil
	}
	var out []string
	if r.full {
		out = append(out, r.lines[r.next:]...)
	}
	out = append(out, r.lines[:r.next]...)
	if max > 0 && len(out) > max {
		out = out[len(out)-max:]
	}
	return out
}
