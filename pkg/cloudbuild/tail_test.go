package cloudbuild

import (
	"strings"
	"testing"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"github.com/google/go-cmp/cmp"

	"github.com/twittix/infra/internal/actiontest"
	"github.com/twittix/infra/pkg/action"
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

// TestTailerLogCannotIssueCommands tails, into the GitHub Actions log, a build log whose steps
// print commands hidden after a lone CR, after Unicode white space, mid-line as ##[...], and a
// ::stop-commands:: meant to swallow the step groups that follow: read as the runner reads it,
// the log executes none of them, and all of the tailer's own groups.
func TestTailerLogCannotIssueCommands(t *testing.T) {
	t.Parallel()
	var out actiontest.SyncBuffer
	env := actiontest.NewEnv(t, nil)
	rt := action.NewRuntime(action.WithGetenv(env.Getenv), action.WithWriter(&out))
	tl := &tailer{log: rt, current: -1, last: newRing(4), perStep: map[int]*ring{},
		steps: []*cloudbuildpb.BuildStep{{Name: "golang", Id: "test"}, {Name: "ubuntu"}}}
	for _, piece := range []string{
		"Starting Step #0 - \"test\"\nStep #0 - \"test\": 10%\r::error::pwned after CR\n",
		"\u00a0::error::pwned after NBSP\n\u3000::add-mask::pwned\nStep #0 - \"test\": ok ##[err", "or]pwned mid-line\n",
		"Step #0 - \"test\": x\r::stop-commands::pwnedtoken\nStarting Step #1\nStep #1: ::error::pwned while stopped\n",
		"Finished Step #1\nERROR: pwned ##[warning]x\n",
	} {
		tl.feed([]byte(piece))
	}
	tl.flush()
	log := out.String()
	rl := actiontest.CheckRemoteText(t, log, "pwned")
	for _, group := range []string{`Step #0 "test" (golang)`, "Step #1 (ubuntu)"} {
		if !rl.Executed("group", group) {
			t.Errorf("the runner does not open the group %q:\n%s", group, log)
		}
	}
	opened, closed := 0, 0
	for _, c := range rl.Commands {
		opened += boolInt(c.Name == "group")
		closed += boolInt(c.Name == "endgroup")
	}
	if opened != closed || opened < 2 {
		t.Errorf("%d groups opened, %d closed, want as many and at least 2:\n%s", opened, closed, log)
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

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
