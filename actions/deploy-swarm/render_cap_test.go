package deployswarm

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/swarm"
)

// TestMarkdownClipsLongLines renders a failing service whose 30 log lines are 12 KB each (the
// 382 KB summary of the issue): each line, and each task error, is clipped in the summary (the
// task error is escaped as Markdown text, so the clip notice's bracket shows as \[).
func TestMarkdownClipsLongLines(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("ü", 6000) // 12000 bytes, 2 per character
	logs := make([]string, 30)
	for i := range logs {
		logs[i] = long
	}
	res := &swarm.Result{Stack: "shop", Services: []swarm.ServiceResult{{Name: "shop_api", State: swarm.StateFailed}},
		Failures: []swarm.ServiceFailure{{Service: "shop_api", Reason: "unhealthy", TaskErrors: []string{"task x " + long}, Logs: logs}}}
	md := summary(res).String()
	if !utf8.ValidString(md) {
		t.Errorf("the summary is not valid UTF-8")
	}
	if len(md) > 30*(action.MaxLogLine+40)+2000 {
		t.Errorf("the summary is %d bytes: its lines are not clipped", len(md))
	}
	clipped := strings.Repeat("ü", action.MaxLogLine/2) + " … [11500 bytes cut]"
	// The log lines are in a <pre> block: each ends a line, the last one the block.
	if n := strings.Count(md, clipped+"\n") + strings.Count(md, clipped+"</pre>"); n != 30 {
		t.Errorf("%d log lines clipped to %q, want 30:\n%.2000s", n, clipped, md)
	}
	if !strings.Contains(md, "- task x "+strings.Repeat("ü", (action.MaxLogLine-7)/2)+" … \\[") {
		t.Errorf("the task error is not clipped:\n%.2000s", md)
	}
}
