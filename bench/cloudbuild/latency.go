package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	cbapi "cloud.google.com/go/cloudbuild/apiv1/v2"
	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"cloud.google.com/go/storage"

	"github.com/twittix/infra/internal/testenv/fakecloudbuild"
	"github.com/twittix/infra/pkg/cloudbuild"
	"github.com/twittix/infra/pkg/gcp"
)

// stampLogger records when each line is printed.
type stampLogger struct {
	mu    sync.Mutex
	times map[string]time.Time
}

func (l *stampLogger) Infof(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, seen := l.times[line]; !seen {
		l.times[line] = now
	}
}
func (l *stampLogger) Warnf(string, ...any) {}
func (l *stampLogger) Group(string) func()  { return func() {} }
func (l *stampLogger) at(line string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.times[line]
	return t, ok
}

// latencies runs a build whose step writes lines at irregular intervals and measures, for each,
// the time from its append to the log object (when the fake's write returns) to its printing by
// the client, with the client's default polling.
func latencies(lines int) ([]time.Duration, error) {
	fake, err := fakecloudbuild.New(fakecloudbuild.Options{Tick: 5 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	defer fake.Close()
	ctx := context.Background()
	sess, err := gcp.Connect(ctx, fake.GCPConfig(benchProject))
	if err != nil {
		return nil, err
	}
	builds, err := cbapi.NewClient(ctx, sess.ClientOptions(gcp.CloudBuild)...)
	if err != nil {
		return nil, err
	}
	defer builds.Close()
	st, err := storage.NewClient(ctx, append(sess.ClientOptions(gcp.Storage), storage.WithJSONReads())...)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	log := &stampLogger{times: map[string]time.Time{}}
	c := cloudbuild.New(builds, st, cloudbuild.Options{Logger: log}) // default polling, as in the action

	var script strings.Builder
	for i := range lines {
		fmt.Fprintf(&script, "echo latency-line-%03d\nsleep %.3f\n", i, 0.05+float64((i*37)%50)/100) // 50 to 540 ms apart
	}
	b := &cloudbuildpb.Build{Steps: []*cloudbuildpb.BuildStep{{Name: "ubuntu", Entrypoint: "bash", Args: []string{"-c", script.String()}}}}
	created, err := c.Submit(ctx, "projects/"+benchProject+"/locations/global", benchProject, b, cloudbuild.SubmissionTag(0, 0))
	if err != nil {
		return nil, err
	}
	if _, err := c.Wait(ctx, created); err != nil {
		return nil, err
	}
	var out []time.Duration
	for _, l := range fake.Log(created.Id) {
		if !strings.Contains(l.Text, "latency-line-") {
			continue
		}
		printed, ok := log.at(l.Text)
		if !ok {
			return nil, fmt.Errorf("line %q was never printed", l.Text)
		}
		out = append(out, printed.Sub(l.At))
	}
	if len(out) != lines {
		return nil, fmt.Errorf("measured %d lines, want %d", len(out), lines)
	}
	slices.Sort(out)
	return out, nil
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return sorted[i]
}
