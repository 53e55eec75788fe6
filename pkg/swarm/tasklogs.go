package swarm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/twittix/infra/pkg/swarm/specdiff"
)

const (
	logsTimeout = 10 * time.Second
	// maxLogTasks bounds the tasks whose logs are read for one failing service.
	maxLogTasks = 5
	maxLogBytes = 1 << 20
)

// failingTasks returns the tasks made by the run for t that got a container, newest last: the
// tasks created since it started from the container spec it deployed (without a known spec, every
// task created since).
func failingTasks(tasks []swarm.Task, t *target) []swarm.Task {
	var out []swarm.Task
	for _, task := range tasks {
		if task.CreatedAt.Before(t.since) {
			continue
		}
		if cs := task.Status.ContainerStatus; cs == nil || cs.ContainerID == "" {
			continue // never got a container: nothing to read
		}
		if t.want != nil && !specdiff.SameContainer(task.Spec.ContainerSpec, t.want) {
			continue
		}
		out = append(out, task)
	}
	slices.SortFunc(out, func(a, b swarm.Task) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out
}

// logLine is one line of a task's output, with the time the daemon read it.
type logLine struct {
	at   time.Time
	text string
}

// failureLogs returns the last tail lines that the failing tasks printed, oldest first. When they
// printed nothing, it returns the last lines of the service's other tasks instead, and a note
// that says so.
func failureLogs(ctx context.Context, c Client, serviceID string, failing []swarm.Task, tail int, tty bool) (lines []string, note string, err error) {
	if len(failing) > maxLogTasks {
		failing = failing[len(failing)-maxLogTasks:]
	}
	perTask := make([][]logLine, len(failing))
	errs := make([]error, len(failing))
	_ = parallel(ctx, len(failing), maxLogTasks, func(ctx context.Context, i int) error {
		perTask[i], errs[i] = readLogs(ctx, tail, tty, func(ctx context.Context, opts client.ContainerLogsOptions) (io.ReadCloser, error) {
			return c.TaskLogs(ctx, failing[i].ID, client.TaskLogsOptions(opts))
		})
		return nil
	})
	all := slices.Concat(perTask...)
	errs = slices.DeleteFunc(errs, func(err error) bool { return err == nil })
	if len(all) > 0 {
		return lastLogLines(all, tail), "", nil
	}
	all, err = readLogs(ctx, tail, tty, func(ctx context.Context, opts client.ContainerLogsOptions) (io.ReadCloser, error) {
		return c.ServiceLogs(ctx, serviceID, client.ServiceLogsOptions(opts))
	})
	if len(all) == 0 {
		return nil, "", errors.Join(append(errs, err)...)
	}
	switch {
	case len(failing) == 0:
		note = "no task was started by this deploy; these are the last lines of its other tasks"
	case len(errs) == len(failing):
		note = fmt.Sprintf("the logs of its failing tasks could not be read (%v); these are the last lines of its other tasks", errs[0])
	default:
		note = "its failing tasks logged nothing; these are the last lines of its other tasks"
	}
	return lastLogLines(all, tail), note, err
}

// readLogs reads the last tail lines of one log stream, with their timestamps.
func readLogs(ctx context.Context, tail int, tty bool, open func(context.Context, client.ContainerLogsOptions) (io.ReadCloser, error)) ([]logLine, error) {
	ctx, cancel := context.WithTimeout(ctx, logsTimeout)
	defer cancel()
	rc, err := open(ctx, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Tail: fmt.Sprint(tail)})
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var text bytes.Buffer
	if tty {
		_, err = io.Copy(&text, io.LimitReader(rc, maxLogBytes))
	} else {
		err = demux(&text, io.LimitReader(rc, maxLogBytes))
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = nil // keep what came in time
	}
	var out []logLine
	for _, l := range strings.Split(strings.TrimRight(text.String(), "\n"), "\n") {
		if l == "" {
			continue
		}
		stamp, rest, _ := strings.Cut(l, " ")
		at, perr := time.Parse(time.RFC3339Nano, stamp)
		if perr != nil {
			if strings.HasPrefix(l, "Error grabbing logs: ") {
				// The daemon's own complaint about a task that has no logs (never scheduled,
				// say), in the stream: not a line of the app, nor a reason to fail.
				continue
			}
			at, rest = time.Time{}, l
		}
		out = append(out, logLine{at: at, text: strings.TrimRight(rest, "\r")})
	}
	return out, err
}

// lastLogLines orders lines by time (lines of one stream keep their order) and returns the last n.
func lastLogLines(lines []logLine, n int) []string {
	slices.SortStableFunc(lines, func(a, b logLine) int { return a.at.Compare(b.at) })
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.text
	}
	return out
}

// demux copies the payloads of a multiplexed stdout/stderr stream (8-byte frame headers) to w,
// keeping their order.
func demux(w io.Writer, r io.Reader) error {
	br := bufio.NewReader(r)
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil
			}
			return err
		}
		size := binary.BigEndian.Uint32(hdr[4:])
		if _, err := io.CopyN(w, br, int64(size)); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}
