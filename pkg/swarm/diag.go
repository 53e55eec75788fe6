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
)

const (
	maxTaskErrors = 5
	logsTimeout   = 10 * time.Second
)

// diagnose gathers what explains a failing service: the errors of its latest tasks, newest
// first, and the last lines of its logs.
func diagnose(ctx context.Context, c Client, t *target, tail int) ServiceFailure {
	f := ServiceFailure{Service: t.name, Reason: t.reason}
	res, err := c.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).Add("service", t.id)})
	if err != nil {
		f.TaskErrors = append(f.TaskErrors, fmt.Sprintf("(could not list its tasks: %v)", err))
	} else {
		f.TaskErrors = taskErrors(res.Items, t.since)
	}
	tty := t.service != nil && t.service.Spec.TaskTemplate.ContainerSpec != nil && t.service.Spec.TaskTemplate.ContainerSpec.TTY
	logs, err := serviceLogs(ctx, c, t.id, tail, tty)
	if err != nil {
		logs = append(logs, fmt.Sprintf("(could not read its logs: %v)", err))
	}
	f.Logs = logs
	return f
}

// taskErrors describes the failed or stuck tasks updated since the deploy started, newest first.
func taskErrors(tasks []swarm.Task, since time.Time) []string {
	tasks = slices.Clone(tasks)
	slices.SortFunc(tasks, func(a, b swarm.Task) int { return b.Status.Timestamp.Compare(a.Status.Timestamp) })
	var out []string
	for _, task := range tasks {
		if task.Status.Timestamp.Before(since) {
			continue
		}
		msg := taskError(task)
		if msg == "" {
			continue
		}
		id := task.ID
		if len(id) > 12 {
			id = id[:12]
		}
		out = append(out, fmt.Sprintf("task %s (slot %d, image %s) %s", id, task.Slot, taskImage(task), msg))
		if len(out) == maxTaskErrors {
			break
		}
	}
	return out
}

func taskImage(task swarm.Task) string {
	if cs := task.Spec.ContainerSpec; cs != nil {
		return cs.Image
	}
	return "?"
}

// serviceLogs returns the last tail lines of a service's logs (stdout and stderr, in order).
func serviceLogs(ctx context.Context, c Client, id string, tail int, tty bool) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, logsTimeout)
	defer cancel()
	rc, err := c.ServiceLogs(ctx, id, client.ServiceLogsOptions{ShowStdout: true, ShowStderr: true, Tail: fmt.Sprint(tail)})
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var text bytes.Buffer
	if tty {
		_, err = io.Copy(&text, io.LimitReader(rc, 1<<20))
	} else {
		err = demux(&text, io.LimitReader(rc, 1<<20))
	}
	lines := lastLines(text.String(), tail)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return lines, err
	}
	return lines, nil
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

func lastLines(s string, n int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}
