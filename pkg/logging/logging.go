package logging

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Logger receives the progress of a long operation, one line at a time.
// Implementations are safe for concurrent use.
type Logger interface {
	// Infof prints one line of progress.
	Infof(format string, args ...any)
	// Warnf prints a warning; in GitHub Actions it becomes a warning annotation.
	Warnf(format string, args ...any)
	// Group starts a collapsible group of lines titled title and returns the function that ends it.
	Group(title string) (end func())
}

// Discard is a Logger that drops everything.
var Discard Logger = discard{}

type discard struct{}

func (discard) Infof(string, ...any) {}
func (discard) Warnf(string, ...any) {}
func (discard) Group(string) func()  { return func() {} }

// New returns a Logger that writes plain lines to w: warnings are prefixed with "warning: " and
// groups are shown as a "== title ==" line.
func New(w io.Writer) Logger {
	return &writerLogger{w: w}
}

type writerLogger struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *writerLogger) Infof(format string, args ...any) {
	l.line("", format, args...)
}

func (l *writerLogger) Warnf(format string, args ...any) {
	l.line("warning: ", format, args...)
}

func (l *writerLogger) Group(title string) func() {
	l.line("== ", "%s ==", title)
	return func() {}
}

func (l *writerLogger) line(prefix, format string, args ...any) {
	msg := strings.TrimRight(fmt.Sprintf(format, args...), "\n")
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s%s\n", prefix, msg)
}

// Progress prints status lines of a long wait without flooding the log: a line for a key is printed
// when it differs from the last one printed for that key, or when every has elapsed since then
// (so a silent wait still shows it is alive).
type Progress struct {
	log   Logger
	every time.Duration
	now   func() time.Time

	mu   sync.Mutex
	last map[string]progressLine
}

type progressLine struct {
	text string
	at   time.Time
}

// NewProgress returns a Progress that prints through log, repeating unchanged lines every every.
func NewProgress(log Logger, every time.Duration) *Progress {
	return &Progress{log: log, every: every, now: time.Now, last: map[string]progressLine{}}
}

// Report prints the status line of key (a service, a build step, ...) if it changed or is due.
// It reports whether the line was printed.
func (p *Progress) Report(key, format string, args ...any) bool {
	text := fmt.Sprintf(format, args...)
	now := p.now()
	p.mu.Lock()
	prev, seen := p.last[key]
	due := !seen || prev.text != text || now.Sub(prev.at) >= p.every
	if due {
		p.last[key] = progressLine{text: text, at: now}
	}
	p.mu.Unlock()
	if due {
		p.log.Infof("%s", text)
	}
	return due
}
