package swarm

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/twittix/infra/pkg/action"
)

// TestMarkdownClipsLongLines renders a failing service whose 30 log lines are 12 KB each (the
// 382 KB summary of the issue): each line, and each task error, is clipped in the summary.
func TestMarkdownClipsLongLines(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("ü", 6000) // 12000 bytes, 2 per character
	logs := make([]string, 30)
	for i := range logs {
		logs[i] = long
	}
	res := &Result{Stack: "shop", Services: []ServiceResult{{Name: "shop_api", State: StateFailed}},
		Failures: []ServiceFailure{{Service: "shop_api", Reason: "unhealthy", TaskErrors: []string{"task x " + long}, Logs: logs}}}
	md := res.Markdown()
	if !utf8.ValidString(md) {
		t.Errorf("the summary is not valid UTF-8")
	}
	if len(md) > 30*(action.MaxLogLine+40)+2000 {
		t.Errorf("the summary is %d bytes: its lines are not clipped", len(md))
	}
	clipped := strings.Repeat("ü", action.MaxLogLine/2) + " … [11500 bytes cut]"
	if n := strings.Count(md, clipped+"\n"); n != 30 {
		t.Errorf("%d log lines clipped to %q, want 30:\n%.2000s", n, clipped, md)
	}
	if !strings.Contains(md, "- task x "+strings.Repeat("ü", (action.MaxLogLine-7)/2)+" … [") {
		t.Errorf("the task error is not clipped:\n%.2000s", md)
	}
}
