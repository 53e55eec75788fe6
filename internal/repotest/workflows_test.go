package repotest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"

	"github.com/twittix/infra/internal/commands"
)

// TestWorkflowsPassActionlint lints every workflow, and the example workflows, with actionlint (and shellcheck for run:
// scripts), which also checks the inputs given to our local actions against their action.yml.
func TestWorkflowsPassActionlint(t *testing.T) {
	t.Parallel()
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatal("shellcheck is not installed; actionlint needs it to check run: scripts. Install it with `apt-get install -y shellcheck` (.ci/run does)")
	}
	root, err := filepath.Abs(Root())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	linter, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{
		Shellcheck: shellcheck,
		WorkingDir: root,
		Oneline:    true,
	})
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.y*ml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows found under .github/workflows (%v)", err)
	}
	// The caller workflows newcomers copy must be as clean as ours.
	examples, err := filepath.Glob(filepath.Join(root, "examples", "workflows", "*.y*ml"))
	if err != nil || len(examples) == 0 {
		t.Fatalf("no example workflows found under examples/workflows (%v)", err)
	}
	files = append(files, examples...)
	errs, err := linter.LintFiles(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) > 0 {
		t.Errorf("actionlint found %d problems:\n%s", len(errs), out.String())
	}
}

// TestEveryActionIsUsedLocally checks each action is used as `uses: ./actions/<name>` in a
// workflow, so that actionlint checks the inputs given to it against its action.yml.
func TestEveryActionIsUsedLocally(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(Root(), ".github", "workflows", "*.y*ml"))
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	for _, cmd := range commands.All() {
		if !strings.Contains(all.String(), "uses: ./actions/"+cmd.Name+"\n") {
			t.Errorf("no workflow uses ./actions/%s; use it in ci.yml so actionlint checks its inputs", cmd.Name)
		}
	}
}

// TestEveryJobHasATimeout checks every job of every workflow sets timeout-minutes: without it a
// hung job holds a runner (and a deploy's concurrency group) for GitHub's default of 6 hours. A job
// that calls a reusable workflow cannot set it; the called workflow's jobs do.
func TestEveryJobHasATimeout(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(Root(), ".github", "workflows", "*.y*ml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows found under .github/workflows (%v)", err)
	}
	jobs := 0
	for _, f := range files {
		wf, err := ReadWorkflow(filepath.Base(f))
		if err != nil {
			t.Fatal(err)
		}
		for id, job := range wf.Jobs {
			if job.WorkflowCall != nil {
				continue
			}
			jobs++
			if job.TimeoutMinutes == nil {
				t.Errorf("%s: job %s has no timeout-minutes; give it one a little above its longest normal run", filepath.Base(f), id)
			}
		}
	}
	if jobs == 0 {
		t.Error("no job found in the workflows")
	}
}
