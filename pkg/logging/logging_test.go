package logging

import (
	"bytes"
	"testing"
	"time"
)

func TestWriterLogger(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := New(&buf)
	end := l.Group("deploy")
	l.Infof("service %s: %d/%d", "web", 1, 2)
	l.Warnf("host key verification is disabled\n")
	end()
	want := "== deploy ==\nservice web: 1/2\nwarning: host key verification is disabled\n"
	if got := buf.String(); got != want {
		t.Errorf("output = %q, want %q", got, want)
	}
}

func TestProgressThrottles(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	p := NewProgress(New(&buf), 5*time.Second)
	clock := time.Unix(0, 0)
	p.now = func() time.Time { return clock }

	steps := []struct {
		advance time.Duration
		key     string
		line    string
		printed bool
	}{
		{0, "web", "web 0/1 updating", true},
		{time.Second, "web", "web 0/1 updating", false},      // unchanged and not due
		{time.Second, "api", "api 1/1 completed", true},      // another key
		{time.Second, "web", "web 1/1 completed", true},      // changed
		{4 * time.Second, "web", "web 1/1 completed", false}, // 4s since last print
		{time.Second, "web", "web 1/1 completed", true},      // due after 5s
	}
	for i, s := range steps {
		clock = clock.Add(s.advance)
		if got := p.Report(s.key, "%s", s.line); got != s.printed {
			t.Errorf("step %d: Report(%q) printed = %v, want %v", i, s.line, got, s.printed)
		}
	}
	want := "web 0/1 updating\napi 1/1 completed\nweb 1/1 completed\nweb 1/1 completed\n"
	if got := buf.String(); got != want {
		t.Errorf("output = %q, want %q", got, want)
	}
}
