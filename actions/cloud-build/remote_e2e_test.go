package cloudbuild_test

import (
	"strings"
	"testing"

	"github.com/twittix/infra/internal/actiontest"
	"github.com/twittix/infra/internal/testenv/fakecloudbuild"
)

// TestBuildLogCannotIssueCommands runs a build whose first step prints (cat) workflow commands
// hidden after a lone CR, after Unicode white space, mid-line as ##[...], and a ::stop-commands::
// meant to swallow the groups of the steps that follow. Tailed into the job log, and read as the
// runner reads it, the build log executes none of them, and all of the action's own commands.
func TestBuildLogCannotIssueCommands(t *testing.T) {
	t.Parallel()
	fake := fakecloudbuild.Start(t, fakecloudbuild.Options{})
	payload := "10%\r::error::pwned after a lone CR\n" +
		"\u00a0::error::pwned after NBSP\n" +
		"\u3000::add-mask::pwned after an ideographic space\n" +
		"ok ##[error]pwned mid-line\n" +
		"x\r::stop-commands::pwnedtoken\n" +
		"x\r::error::pwned while stopped\n"
	ws := workspace(t, map[string]string{
		"payload.txt":     payload,
		"cloudbuild.yaml": "steps:\n- id: print\n  name: ubuntu\n  entrypoint: bash\n  args: ['-c', 'cat payload.txt']\n- id: after\n  name: ubuntu\n  entrypoint: bash\n  args: ['-c', 'echo done']\n",
	})
	r := runAction(t, fake, ws, map[string]string{"config": "cloudbuild.yaml"})
	if r.code != 0 {
		t.Fatalf("exit code %d\n%s", r.code, r.log)
	}
	if !strings.Contains(r.log, "pwned mid-line") {
		t.Fatalf("the log does not show the build's lines:\n%s", r.log)
	}
	rl := actiontest.CheckRemoteText(t, r.log, "pwned")
	for _, group := range []string{`Step #0 "print" (ubuntu)`, `Step #1 "after" (ubuntu)`} {
		if !rl.Executed("group", group) {
			t.Errorf("the runner does not open the group %q:\n%s", group, r.log)
		}
	}
	if !strings.Contains(actiontest.Unwrapped(r.log), "Step #1 - \"after\": done\n") {
		t.Errorf("the log lacks the second step's output:\n%s", r.log)
	}
}
