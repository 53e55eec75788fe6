package action

import (
	"strings"
	"testing"

	"github.com/twittix/infra/internal/actiontest"
)

// payloads are remote lines that try to issue commands the ways the runner allows.
var payloads = []string{
	"starting pwned-app",
	"progress 50%\r::error::pwned after a lone CR",
	"\u00a0::error::pwned after NBSP",
	"\u3000::add-mask::pwned after an ideographic space",
	"log line ##[error]pwned mid-line",
	"::stop-commands::pwnedtoken",
	"::error::pwned while stopped",
	"##[endgroup]pwned",
}

func TestPrintRemoteStopsCommands(t *testing.T) {
	t.Parallel()
	env := newGitHubEnv(t, nil)
	rt := env.runtime()
	rt.Mask("hunter2-secret")
	end := rt.Group("Deploy failed")
	rt.PrintRemote(append(payloads, "password=hunter2-secret pwned"))
	rt.PrintRemote([]string{"second block pwned"})
	end()
	rt.Annotate(Error, Location{}, "deploy failed")

	log := env.out.String()
	rl := actiontest.CheckRemoteText(t, log, "pwned")
	if len(rl.Tokens) != 2 || rl.Tokens[0] == rl.Tokens[1] {
		t.Errorf("stop-commands tokens = %q, want two different ones", rl.Tokens)
	}
	for _, c := range []struct{ name, data string }{{"add-mask", "hunter2-secret"}, {"group", "Deploy failed"}, {"endgroup", ""}, {"error", "deploy failed"}} {
		if !rl.Executed(c.name, c.data) {
			t.Errorf("the runner does not execute the action's own ::%s::%s\n%s", c.name, c.data, log)
		}
	}
	if strings.Contains(actiontest.Visible(log), "hunter2-secret") {
		t.Errorf("the secret in the remote text is not redacted:\n%s", log)
	}
}

func TestPrintRemoteLocally(t *testing.T) {
	t.Parallel()
	env := newLocalEnv(nil)
	rt := env.runtime()
	rt.PrintRemote([]string{"a ::error::x", "b\rc"})
	rt.PrintRemote(nil)
	if got, want := env.out.String(), "a ::error::x\nb\nc\n"; got != want {
		t.Errorf("log = %q, want %q", got, want)
	}
}

func TestStopTokenAvoidsTheText(t *testing.T) {
	t.Parallel()
	tok, err := stopToken("some text")
	if err != nil || len(tok) < 32 {
		t.Fatalf("stopToken = %q, %v", tok, err)
	}
	if again, _ := stopToken("some text"); again == tok {
		t.Errorf("two tokens are equal: %q", tok)
	}
	if _, err := stopToken("every remote-"); err != nil {
		t.Errorf("stopToken failed on a text that holds the prefix only: %v", err)
	}
}
