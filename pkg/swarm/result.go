package swarm

import (
	"fmt"
	"strings"
	"time"
)

// States of a service in a Result.
const (
	StateCreated        = "created"
	StateUpdated        = "updated"
	StateUnchanged      = "unchanged"
	StatePruned         = "removed"          // removed by Prune: no longer in the files
	StateFailed         = "failed"           // did not converge, and was not rolled back
	StateRolledBack     = "rolled back"      // failed or was part of a failed deploy; back to its previous spec
	StateRemovedNew     = "removed (failed)" // created by the failed run, then removed by the rollback
	StateRollbackFailed = "rollback failed"  // the rollback did not converge either
	StatePending        = "pending"          // the wait stopped (cancelled, or the swarm unreachable) before it converged
	StateSkipped        = "not deployed"     // the deploy stopped before reaching it

	// Dry-run states.
	StateWouldCreate = "would create"
	StateWouldUpdate = "would update"
	StateWouldRemove = "would remove"
)

// Result is what a deploy (or a dry run) did to the stack.
type Result struct {
	Stack  string `json:"stack"`
	DryRun bool   `json:"dry_run,omitempty"`
	// Services are the services of the files, and the pruned ones, sorted by name.
	Services []ServiceResult `json:"services"`
	// Changed are the names of the services created, updated or removed (or that would be).
	Changed []string `json:"changed"`
	// Networks, Secrets and Configs are the objects created (or that would be created).
	Networks []string `json:"networks,omitempty"`
	Secrets  []string `json:"secrets,omitempty"`
	Configs  []string `json:"configs,omitempty"`
	// RemovedObjects are the secrets and configs removed because no service uses them any more.
	RemovedObjects []string `json:"removed_objects,omitempty"`
	// Failures describe the services that made the deploy fail; empty on success.
	Failures []ServiceFailure `json:"failures,omitempty"`
	// RolledBack tells that the changed services were rolled back after a failure.
	RolledBack bool `json:"rolled_back,omitempty"`
	// Duration is the wall time of the run.
	Duration time.Duration `json:"duration"`
}

// ServiceResult is one service of the stack after the run.
type ServiceResult struct {
	// Name is the Swarm service name, <stack>_<service>.
	Name string `json:"name"`
	// Image is the image it runs now (pinned to a digest when the spec has one).
	Image string `json:"image"`
	// ImageBefore is the image it ran before the run ("" for a new service).
	ImageBefore string `json:"image_before,omitempty"`
	// Running and Desired count its tasks at the current spec when the run ended.
	Running uint64 `json:"running"`
	Desired uint64 `json:"desired"`
	// State is one of the State* constants.
	State string `json:"state"`
	// Changed tells whether the run created, updated or removed it (or would).
	Changed bool `json:"changed"`
	// Changes are the differences found by a dry run (and by a deploy, for updated services).
	Changes []Change `json:"changes,omitempty"`
	// Update is when the run created or updated it until it converged or failed; nil when the run
	// did not change it. Rollback is when its rollback (or removal, for a service the run
	// created) ran; nil when it was not rolled back.
	Update   *Timing `json:"update,omitempty"`
	Rollback *Timing `json:"rollback,omitempty"`
}

// Timing is when a change of a service started and ended, on the swarm manager's clock.
type Timing struct {
	Start time.Time `json:"start"`
	// End is when the service converged or failed, or when the run stopped waiting for it (the
	// deploy failed elsewhere, timed out or was cancelled): then neither Converged nor Failed.
	End       time.Time `json:"end"`
	Converged bool      `json:"converged,omitempty"`
	Failed    bool      `json:"failed,omitempty"`
}

// Replicas renders the task counts as "running/desired".
func (s ServiceResult) Replicas() string { return fmt.Sprintf("%d/%d", s.Running, s.Desired) }

// ServiceFailure explains why a service made the deploy fail.
type ServiceFailure struct {
	Service string `json:"service"`
	// Reason is one line: "update paused: ...", "Swarm rolled the update back: ...", "timed out ...".
	Reason string `json:"reason"`
	// TaskErrors are the errors of its latest failed tasks, newest first.
	TaskErrors []string `json:"task_errors,omitempty"`
	// Logs are the last lines that its failing tasks (the tasks of the spec the run deployed)
	// printed, oldest first. When those printed nothing, they are the lines of its other tasks,
	// and LogsNote says so.
	Logs []string `json:"logs,omitempty"`
	// LogsNote says where Logs come from when they are not the failing tasks' own lines.
	LogsNote string `json:"logs_note,omitempty"`
}

// LogsTitle introduces the Logs: "last 30 log lines of its failing tasks", followed by the note,
// if any, that says where they come from instead.
func (f ServiceFailure) LogsTitle() string {
	if f.LogsNote != "" {
		return fmt.Sprintf("last %d log lines (%s)", len(f.Logs), f.LogsNote)
	}
	return fmt.Sprintf("last %d log lines of its failing tasks", len(f.Logs))
}

// Failed reports whether the deploy failed.
func (r *Result) Failed() bool { return len(r.Failures) > 0 }

// service returns the entry of name, adding it when missing.
func (r *Result) service(name string) *ServiceResult {
	for i := range r.Services {
		if r.Services[i].Name == name {
			return &r.Services[i]
		}
	}
	r.Services = append(r.Services, ServiceResult{Name: name})
	return &r.Services[len(r.Services)-1]
}

// failureError summarizes the failures as the error Deploy returns.
func (r *Result) failureError() error {
	if len(r.Failures) == 0 {
		return nil
	}
	parts := make([]string, 0, len(r.Failures))
	for _, f := range r.Failures {
		parts = append(parts, f.Service+": "+f.Reason)
	}
	msg := "deploy of stack " + r.Stack + " failed: " + strings.Join(parts, "; ")
	if r.RolledBack {
		msg += " (changed services were rolled back)"
	}
	return &DeployError{Result: r, msg: msg}
}

// DeployError is returned when services did not converge. Its Result holds the details.
type DeployError struct {
	Result *Result
	msg    string
}

func (e *DeployError) Error() string { return e.msg }
