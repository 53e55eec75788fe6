package cloudbuild

import (
	"strings"
	"testing"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"github.com/google/go-cmp/cmp"
)

func TestTailerGroupsAndPartialLines(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	tl := &tailer{log: rec, current: -1, last: newRing(4), perStep: map[int]*ring{},
		steps: []*cloudbuildpb.BuildStep{{Name: "golang", Id: "test"}, {Name: "ubuntu"}}}
	// The log arrives in arbitrary pieces; parallel steps interleave.
	for _, piece := range []string{
		"starting build \"x\"\n\nFETCH", "SOURCE\nBUILD\nStarting Step #0 - \"test\"\nStep #0 - \"test\": ok  pkg 0.1s\n",
		"Starting Step #1\nStep #1: hello\r\nStep #0 - \"test\": ::set-output name=x::y\n",
		"Finished Step #0 - \"test\"\nFinished Step #1\nPUSH\n::add-mask::x\nDONE\nno newline at the end",
	} {
		tl.feed([]byte(piece))
	}
	tl.flush()
	want := []string{
		`line: starting build "x"`, "line: ", "line: FETCHSOURCE", "line: BUILD",
		`group: Step #0 "test" (golang)`, `line: Starting Step #0 - "test"`, `line: Step #0 - "test": ok  pkg 0.1s`, "end",
		"group: Step #1 (ubuntu)", "line: Starting Step #1", "line: Step #1: hello", "end",
		`group: Step #0 "test" (golang)`, `line: Step #0 - "test": ::set-output name=x::y`, `line: Finished Step #0 - "test"`, "end",
		"group: Step #1 (ubuntu)", "line: Finished Step #1", "end",
		"line: PUSH", "line: | ::add-mask::x", "line: DONE", "line: no newline at the end",
	}
	if diff := cmp.Diff(want, rec.all()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"PUSH", "::add-mask::x", "DONE", "no newline at the end"}, tl.last.get(0)); diff != "" {
		t.Errorf("last lines (-want +got):\n%s", diff)
	}
	if got := tl.perStep[0].get(0); len(got) != 4 || !strings.HasPrefix(got[0], "Starting Step #0") {
		t.Errorf("lines of step 0 = %q", got)
	}
}

func TestRing(t *testing.T) {
	t.Parallel()
	r := newRing(3)
	for _, s := range []string{"a", "b", "c", "d", "e"} {
		r.add(s)
	}
	if diff := cmp.Diff([]string{"c", "d", "e"}, r.get(0)); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([]string{"d", "e"}, r.get(2)); diff != "" {
		t.Error(diff)
	}
}
