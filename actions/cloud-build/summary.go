package cloudbuild

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twittix/infra/pkg/action"
	cb "github.com/twittix/infra/pkg/cloudbuild"
)

// statusIcons mark the statuses in the summary.
var statusIcons = map[string]string{
	"SUCCESS": "✅", "FAILURE": "❌", "INTERNAL_ERROR": "❌", "TIMEOUT": "⏱️", "CANCELLED": "🚫", "EXPIRED": "⌛", "QUEUED": "⏳", "WORKING": "🔄",
}

func withIcon(status string) string {
	if icon, ok := statusIcons[status]; ok {
		return icon + " " + status
	}
	return status
}

// summary renders the step summary of a build: its status, steps with their status and duration,
// images with their digests, the source uploaded and a link to the console; the last log lines
// when it failed; then a timeline of the steps (see timeline).
func summary(o *options, res *cb.Result, runErr error) *action.Summary {
	s := &action.Summary{}
	mode := "config " + action.Code(o.config)
	if o.image != "" {
		mode = "image " + action.Code(o.image)
	}
	s.Heading(3, "Cloud Build "+withIcon(res.Status))
	line := fmt.Sprintf("Build %s (%s)", action.Code(res.BuildID), mode)
	if res.Duration > 0 {
		line += fmt.Sprintf(" ran for %s", res.Duration.Round(time.Second))
	}
	if res.LogURL != "" {
		line += " · " + action.Link("open in the Cloud console", res.LogURL)
	}
	s.Paragraph(line + ".")
	if len(res.Steps) > 0 {
		var rows [][]string
		for _, st := range res.Steps {
			d := ""
			if st.Duration > 0 {
				d = st.Duration.Round(100 * time.Millisecond).String()
			}
			id := st.ID
			if id == "" {
				id = fmt.Sprint(st.Index)
			}
			rows = append(rows, []string{action.Escape(id), action.Code(st.Name), withIcon(st.Status), d})
		}
		s.Table([]string{"Step", "Image", "Status", "Duration"}, rows)
	}
	if len(res.Images) > 0 {
		var rows [][]string
		for _, img := range res.Images {
			rows = append(rows, []string{action.Code(img.Name), action.Code(img.Digest)})
		}
		s.Table([]string{"Image", "Digest"}, rows)
	}
	if src := res.Source; src != nil {
		s.Paragraph(fmt.Sprintf("Source: %d files (%s compressed) uploaded to %s in %s.",
			src.Files, size(src.Compressed), action.Code(src.URL()), src.Elapsed.Round(10*time.Millisecond)))
	}
	if runErr != nil {
		var be *cb.BuildError
		msg := runErr.Error()
		if errors.As(runErr, &be) {
			msg, _, _ = strings.Cut(be.Message(inputName), "\n")
		}
		s.Paragraph("**Error:** " + action.Escape(msg))
		if len(res.LastLines) > 0 {
			s.Details("Last lines of the log", strings.Join(res.LastLines, "\n"))
		}
	}
	timeline(s, res)
	return s
}

// size prints a number of bytes for people.
func size(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f GB", float64(n)/1e9)
}
