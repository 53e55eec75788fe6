package cloudbuild

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twittix/infra/internal/testenv/golden"
	"github.com/twittix/infra/pkg/action"
	cb "github.com/twittix/infra/pkg/cloudbuild"
)

// at is a moment of a test build, ms milliseconds after it started.
func at(ms int) time.Time {
	return time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond)
}

func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    *options
		res  *cb.Result
		err  error
	}{
		{
			name: "build-failed",
			o:    &options{config: "cloudbuild.yaml"},
			res: &cb.Result{
				BuildID: "b-1234", Status: "FAILURE", LogURL: "https://console.cloud.google.com/cloud-build/builds/b-1234",
				Started: at(0), Duration: 95 * time.Second,
				Steps: []cb.Step{
					{Index: 0, ID: "fetch", Name: "gcr.io/cloud-builders/git", Status: "SUCCESS", Started: at(1200), Duration: 3400 * time.Millisecond},
					{Index: 1, ID: "test", Name: "golang:1.26", Status: "SUCCESS", Started: at(4700), Duration: 41 * time.Second},
					{Index: 2, ID: "lint", Name: "golangci/golangci-lint:v2", Status: "SUCCESS", Started: at(4750), Duration: 28*time.Second + 300*time.Millisecond},
					{Index: 3, Name: "gcr.io/cloud-builders/docker:latest", Status: "FAILURE", Started: at(45800), Duration: 49 * time.Second},
					{Index: 4, ID: "push: release; #1", Name: "gcr.io/cloud-builders/docker", Status: "QUEUED"},
				},
				Source:    &cb.Staged{Bucket: "p_cloudbuild", Object: "source/1.tgz", Files: 42, Compressed: 12345, Elapsed: 800 * time.Millisecond},
				LastLines: []string{"Step #3: error: failed to solve: process \"/bin/sh -c go build\" did not complete"},
			},
			err: &cb.BuildError{BuildID: "b-1234", Status: "FAILURE"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := summary(tc.o, tc.res, tc.err).String()
			golden.Check(t, filepath.Join("testdata", tc.name+".golden.md"), got)
		})
	}
}

func TestTimeline(t *testing.T) {
	t.Parallel()
	var many []cb.Step
	for i := range 60 {
		many = append(many, cb.Step{Index: i, Name: "ubuntu", Status: "SUCCESS", Started: at(i * 1000), Duration: time.Second})
	}
	tests := []struct {
		name    string
		res     *cb.Result
		want    []string
		notWant []string
	}{
		{
			name:    "queued build: no timeline",
			res:     &cb.Result{Status: "QUEUED", Steps: []cb.Step{{Name: "ubuntu", Status: "QUEUED"}}},
			notWant: []string{"Timeline", "mermaid"},
		},
		{
			name: "cancelled while a step ran",
			res:  &cb.Result{Status: "CANCELLED", Started: at(0), Steps: []cb.Step{{Name: "ubuntu", Status: "CANCELLED", Started: at(500)}}},
			want: []string{"ubuntu cancelled :active, s0, 00:00:00.500, 00:00:00.500\n"},
		},
		{
			name:    "a large build: 50 steps drawn, and said",
			res:     &cb.Result{Status: "SUCCESS", Steps: many},
			want:    []string{"The timeline draws the first 50 steps that ran; 10 more are in the table above.", ":s49, 00:00:49.000, 00:00:50.000"},
			notWant: []string{":s50,"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &action.Summary{}
			timeline(s, tc.res)
			for _, w := range tc.want {
				if !strings.Contains(s.String(), w) {
					t.Errorf("timeline lacks %q:\n%s", w, s.String())
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(s.String(), w) {
					t.Errorf("timeline has %q:\n%s", w, s.String())
				}
			}
		})
	}
}
