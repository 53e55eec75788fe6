package deployswarm

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/twittix/infra/internal/actiontest"
	"github.com/twittix/infra/internal/testenv/dockertest"
	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/pkg/action"
)

// composePayload is a service whose container prints, through the test server's start line
// ("testserver $VERSION starting..."), lines that try every way the runner offers to issue a
// workflow command and a 24 KB line, then fails at start.
var composePayload = `version: "3.9"
services:
  app:
    image: twittix-test/app:v1
    environment:
      FAIL_START: "1"
      VERSION: "v1 pwned-start\r::error::pwned after a lone CR\n\u00a0::error::pwned after NBSP\n\u3000::add-mask::pwned after an ideographic space\nlog ##[error]pwned mid-line\nlong ` + strings.Repeat("ü", 12000) + `\n::stop-commands::pwnedtoken\n::error::pwned while stopped"
    deploy:
      endpoint_mode: dnsrr
      replicas: 1
      restart_policy:
        delay: 100ms
`

// TestContainerLogCannotIssueCommands deploys a service whose container prints workflow commands
// hidden after a lone CR, after Unicode white space, mid-line as ##[...], and a
// ::stop-commands:: meant to swallow the action's own later commands; the deploy fails and the
// log, read as the runner reads it, executes none of them and all of the action's own. The
// summary shows the long line clipped, between characters.
func TestContainerLogCannotIssueCommands(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sshd.Options{})
	ctx := testContext(t)
	stack := dockertest.NewStack(t, h.docker, "cmds")
	ws := workspace(t, map[string]string{"docker-compose.yml": composePayload})
	inputs := h.sshInputs()
	inputs["stack_name"] = stack
	inputs["resolve_image"] = "never"
	inputs["timeout"] = "90s"
	r := h.runAction(ctx, ws, inputs)
	if r.code != action.ExitFailure {
		t.Fatalf("exit code %d, want %d:\n%s", r.code, action.ExitFailure, r.log)
	}
	if !strings.Contains(r.log, "after a lone CR") || !strings.Contains(r.log, "mid-line") {
		t.Fatalf("the log does not show the container's lines:\n%s", r.log)
	}
	rl := actiontest.CheckRemoteText(t, r.log, "pwned")
	for _, c := range []struct{ name, data string }{
		{"group", "Deploy of stack " + stack + " failed"},
		{"group", "Rolling back stack " + stack},
		{"error", "deploy of stack " + stack + " failed"},
	} {
		if !rl.Executed(c.name, c.data) {
			t.Errorf("the runner does not execute the action's own ::%s::%s\n%s", c.name, c.data, r.log)
		}
	}
	if !utf8.ValidString(r.summary) {
		t.Errorf("the summary is not valid UTF-8")
	}
	if !strings.Contains(r.summary, "\nlong "+strings.Repeat("ü", 247)+" … [") {
		t.Errorf("the summary does not show the long line clipped:\n%.3000s", r.summary)
	}
	for _, line := range strings.Split(r.summary, "\n") {
		if len(line) > 600 {
			t.Errorf("the summary has a line of %d bytes: %.100s...", len(line), line)
		}
	}
}
