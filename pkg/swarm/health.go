package swarm

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// maxHealthOutput bounds the health check output quoted in a reason.
const maxHealthOutput = 300

// taskDescriber describes failed tasks, better than their Swarm status where it can: a task whose
// container Swarm stopped for failing its healthcheck shows as "complete" or "failed" with the
// exit code the app chose on SIGTERM; its container, inspected, says it was unhealthy and why.
type taskDescriber struct {
	c Client
	// node is the node the client talks to: only its containers can be inspected. Tasks on other
	// nodes keep their Swarm status.
	node string
	seen map[string]string
}

// describe returns what went wrong with task: "unhealthy: <last health check output>" when its
// container failed its healthcheck, otherwise its Swarm status (see taskError).
func (d *taskDescriber) describe(ctx context.Context, task swarm.Task) string {
	msg := taskError(task)
	cs := task.Status.ContainerStatus
	if msg == "" || cs == nil || cs.ContainerID == "" || task.NodeID == "" || task.NodeID != d.node {
		return msg
	}
	if got, ok := d.seen[task.ID]; ok {
		return got
	}
	if d.seen == nil {
		d.seen = map[string]string{}
	}
	if res, err := d.c.ContainerInspect(ctx, cs.ContainerID, client.ContainerInspectOptions{}); err == nil {
		if h := unhealthy(res.Container.State); h != "" {
			msg = h
		}
	}
	d.seen[task.ID] = msg
	return msg
}

// unhealthy describes a container that its healthcheck found unhealthy, or returns "".
func unhealthy(state *container.State) string {
	if state == nil || state.Health == nil || state.Health.Status != container.Unhealthy {
		return ""
	}
	logs := state.Health.Log
	if len(logs) == 0 {
		return "unhealthy"
	}
	last := logs[len(logs)-1]
	out := strings.Join(strings.Fields(last.Output), " ")
	if out == "" {
		return fmt.Sprintf("unhealthy: the health check exited with %d and printed nothing", last.ExitCode)
	}
	if len(out) > maxHealthOutput {
		cut := maxHealthOutput
		for cut > 0 && !utf8.RuneStart(out[cut]) { // never inside a character
			cut--
		}
		out = out[:cut] + "..."
	}
	return "unhealthy: " + out
}
