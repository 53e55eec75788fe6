package repotest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rhysd/actionlint"
)

// ReadWorkflow parses the workflow .github/workflows/<name> with actionlint's parser.
func ReadWorkflow(name string) (*actionlint.Workflow, error) {
	path := filepath.Join(Root(), ".github", "workflows", name)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	wf, errs := actionlint.Parse(b)
	if len(errs) > 0 {
		var all []error
		for _, e := range errs {
			all = append(all, e)
		}
		return nil, fmt.Errorf("failed to parse %s: %w", path, errors.Join(all...))
	}
	return wf, nil
}

// Needs returns every job the job id waits for, directly or through other jobs.
func Needs(wf *actionlint.Workflow, id string) map[string]bool {
	seen := map[string]bool{}
	var visit func(string)
	visit = func(id string) {
		job := wf.Jobs[id]
		if job == nil {
			return
		}
		for _, n := range job.Needs {
			if name := strings.ToLower(n.Value); !seen[name] {
				seen[name] = true
				visit(name)
			}
		}
	}
	visit(id)
	return seen
}

// Scripts returns the run: scripts of a job's steps, in order.
func Scripts(job *actionlint.Job) []string {
	var scripts []string
	for _, s := range job.Steps {
		if run, ok := s.Exec.(*actionlint.ExecRun); ok && run.Run != nil {
			scripts = append(scripts, run.Run.Value)
		}
	}
	return scripts
}

// Step returns the step of a job with the given name or id, or nil.
func Step(job *actionlint.Job, nameOrID string) *actionlint.Step {
	for _, s := range job.Steps {
		if (s.Name != nil && s.Name.Value == nameOrID) || (s.ID != nil && s.ID.Value == nameOrID) {
			return s
		}
	}
	return nil
}

// ActionSteps returns the steps of a job that use an action whose reference starts with prefix.
func ActionSteps(job *actionlint.Job, prefix string) []*actionlint.ExecAction {
	var steps []*actionlint.ExecAction
	for _, s := range job.Steps {
		if a, ok := s.Exec.(*actionlint.ExecAction); ok && a.Uses != nil && strings.HasPrefix(a.Uses.Value, prefix) {
			steps = append(steps, a)
		}
	}
	return steps
}
