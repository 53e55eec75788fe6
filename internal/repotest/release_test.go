package repotest

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// TestReleaseWorkflowGates checks the order of release.yml: nothing is written before the checks
// (commit on main, CI passed, version above the latest) passed; every job that writes runs in the
// `release` environment; the image is pushed only as vX.Y.Z; the major version (the :vX image tag
// and the vX git tag) moves only in a job that needs the smoke test of the released commit.
func TestReleaseWorkflowGates(t *testing.T) {
	t.Parallel()
	wf, err := ReadWorkflow("release.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range wf.On {
		if _, ok := e.(*actionlint.WorkflowDispatchEvent); !ok {
			t.Errorf("release.yml runs on %s; a release is started by hand only (workflow_dispatch)", e.EventName())
		}
	}
	check, smoke := wf.Jobs["check"], wf.Jobs["smoke"]
	if check == nil || smoke == nil {
		t.Fatalf("release.yml needs a check job and a smoke job, has %v", slices.Sorted(maps.Keys(wf.Jobs)))
	}
	if s := Step(check, "Refuse a commit that is not on main"); s == nil || !strings.Contains(script(s), "merge-base --is-ancestor") || !strings.Contains(script(s), "origin/main") {
		t.Error("the check job must refuse a commit that is not an ancestor of origin/main (step \"Refuse a commit that is not on main\")")
	}
	if s := Step(check, "version"); s == nil || !strings.Contains(script(s), "go run ./internal/release/cmd/release check-version") {
		t.Error("the check job must refuse a version not above the latest release (step id version: internal/release/cmd/release check-version)")
	}
	if writes(check) {
		t.Error("the check job must not have write permissions")
	}
	if writes(smoke) {
		t.Error("the smoke job runs the released actions: it must not have write permissions")
	}
	if co := ActionSteps(smoke, "actions/checkout@"); len(co) != 1 || input(co[0], "ref") != "${{ needs.release.outputs.commit }}" {
		t.Error("the smoke job must check out the released commit: ref: ${{ needs.release.outputs.commit }}")
	}

	movesMajor := regexp.MustCompile(`imagetools create|git tag -f|push .*--force|push .*\+refs/tags`)
	var majorJobs []string
	for id, job := range wf.Jobs {
		needs := Needs(wf, id)
		if id != "check" && !needs["check"] {
			t.Errorf("job %s does not need the check job: it would run before the checks", id)
		}
		if writes(job) && (job.Environment == nil || job.Environment.Name == nil || job.Environment.Name.Value != "release") {
			t.Errorf("job %s has write permissions outside the release environment (environment: release, with reviewers)", id)
		}
		if job.TimeoutMinutes == nil {
			t.Errorf("job %s has no timeout-minutes", id)
		}
		for _, s := range Scripts(job) {
			if movesMajor.MatchString(s) {
				majorJobs = append(majorJobs, id)
				if !needs["smoke"] {
					t.Errorf("job %s moves the major version but does not need the smoke job:\n%s", id, s)
				}
			}
		}
		for _, push := range ActionSteps(job, "docker/build-push-action@") {
			if tags := input(push, "tags"); strings.TrimSpace(tags) != "ghcr.io/twittix/infra:${{ inputs.version }}" {
				t.Errorf("job %s pushes the image with tags %q; push only the immutable ghcr.io/twittix/infra:${{ inputs.version }}, the major tag moves after the smoke test", id, tags)
			}
			platforms := input(push, "platforms")
			for _, want := range []string{"linux/amd64", "linux/arm64"} {
				if !strings.Contains(platforms, want) {
					t.Errorf("job %s builds the image for %q, without %s", id, platforms, want)
				}
			}
		}
	}
	if len(majorJobs) != 1 {
		t.Errorf("jobs moving the major version: %q; want exactly one, after the smoke job", majorJobs)
	}
}

// script returns a run: step's script, "" for an action step.
func script(s *actionlint.Step) string {
	if run, ok := s.Exec.(*actionlint.ExecRun); ok && run.Run != nil {
		return run.Run.Value
	}
	return ""
}

// input returns the value of an action step's input, "" when the step does not set it.
func input(step *actionlint.ExecAction, name string) string {
	if in := step.Inputs[name]; in != nil && in.Value != nil {
		return in.Value.Value
	}
	return ""
}

// writes reports whether a job's token can write anything.
func writes(job *actionlint.Job) bool {
	if job.Permissions == nil {
		return true // the repository's default token permissions
	}
	if job.Permissions.All != nil && job.Permissions.All.Value == "write-all" {
		return true
	}
	for _, s := range job.Permissions.Scopes {
		if s.Value.Value == "write" {
			return true
		}
	}
	return false
}

// releaseRepo makes a git repository of a copy of this tree, with main pushed to a bare origin,
// where release.yml's steps can run; it returns the checkout and the origin.
func releaseRepo(t *testing.T) (dir, origin string) {
	t.Helper()
	base := t.TempDir()
	dir, origin = filepath.Join(base, "checkout"), filepath.Join(base, "origin.git")
	if err := CopyTree(dir); err != nil {
		t.Fatal(err)
	}
	git(t, base, "init", "-q", "--bare", "-b", "main", origin)
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "base")
	git(t, dir, "remote", "add", "origin", origin)
	git(t, dir, "push", "-q", "origin", "main")
	return dir, origin
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// stepRun runs one run: step of release.yml the way the runner does (bash -eo pipefail) in dir,
// with env and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files; it returns the log, the outputs file's
// content and whether the step passed.
func stepRun(t *testing.T, dir, job, step string, env ...string) (log, outputs string, ok bool) {
	t.Helper()
	wf, err := ReadWorkflow("release.yml")
	if err != nil {
		t.Fatal(err)
	}
	j := wf.Jobs[job]
	if j == nil {
		t.Fatalf("release.yml has no job %s", job)
	}
	s := Step(j, step)
	if s == nil || script(s) == "" {
		t.Fatalf("release.yml: job %s has no run: step %q", job, step)
	}
	files := t.TempDir()
	scriptFile, output := filepath.Join(files, "step.sh"), filepath.Join(files, "output")
	if err := os.WriteFile(scriptFile, []byte(script(s)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", scriptFile)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GITHUB_OUTPUT="+output, "GITHUB_STEP_SUMMARY="+filepath.Join(files, "summary"))
	cmd.Env = append(cmd.Env, env...)
	b, err := cmd.CombinedOutput()
	if _, isExit := err.(*exec.ExitError); err != nil && !isExit {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(output)
	return string(b), string(out), err == nil
}

func TestReleaseRefusesACommitNotOnMain(t *testing.T) {
	t.Parallel()
	dir, _ := releaseRepo(t)
	onMain := git(t, dir, "rev-parse", "HEAD")
	git(t, dir, "checkout", "-q", "-b", "feature")
	git(t, dir, "commit", "-q", "--allow-empty", "-m", "unreviewed")
	feature := git(t, dir, "rev-parse", "HEAD")
	git(t, dir, "push", "-q", "origin", "feature")
	git(t, dir, "checkout", "-q", "main")
	git(t, dir, "commit", "-q", "--allow-empty", "-m", "main moved on")
	git(t, dir, "push", "-q", "origin", "main")

	tests := []struct {
		name, ref, sha, wantErr string
	}{
		{name: "the head of main", ref: "refs/heads/main", sha: git(t, dir, "rev-parse", "HEAD")},
		{name: "an older commit of main", ref: "refs/heads/main", sha: onMain},
		{name: "run from another branch", ref: "refs/heads/feature", sha: feature, wantErr: "::error::release runs from main only, not refs/heads/feature"},
		{name: "run from a tag", ref: "refs/tags/v1.0.0", sha: onMain, wantErr: "release runs from main only"},
		{name: "a commit that is not on main", ref: "refs/heads/main", sha: feature, wantErr: "::error::" + feature + " is not on origin/main"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log, _, ok := stepRun(t, dir, "check", "Refuse a commit that is not on main", "GITHUB_REF="+tc.ref, "GITHUB_SHA="+tc.sha)
			if tc.wantErr == "" && !ok {
				t.Errorf("the step refused %s on %s:\n%s", tc.sha, tc.ref, log)
			}
			if tc.wantErr != "" && (ok || !strings.Contains(log, tc.wantErr)) {
				t.Errorf("the step passed=%v, want a failure saying %q; log:\n%s", ok, tc.wantErr, log)
			}
		})
	}
}

func TestReleaseRefusesAVersionNotAboveTheLatest(t *testing.T) {
	t.Parallel()
	dir, _ := releaseRepo(t)
	for _, tag := range []string{"v1.3.0", "v1.10.0", "v1"} {
		git(t, dir, "tag", tag)
	}
	tests := []struct {
		version, wantOutput, wantErr string
	}{
		{version: "v1.10.1", wantOutput: "major=v1\n"},
		{version: "v2.0.0", wantOutput: "major=v2\n"},
		{version: "v1.9.0", wantErr: "::error::version v1.9.0 is not above the latest release v1.10.0"},
		{version: "v1.10.0", wantErr: "not above the latest release v1.10.0"},
		{version: "v1.11", wantErr: `::error::version "v1.11" does not look like v1.2.3`},
	}
	for _, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			log, outputs, ok := stepRun(t, dir, "check", "version", "VERSION="+tc.version)
			if tc.wantErr == "" && (!ok || outputs != tc.wantOutput) {
				t.Errorf("passed=%v outputs=%q, want passed with %q; log:\n%s", ok, outputs, tc.wantOutput, log)
			}
			if tc.wantErr != "" && (ok || !strings.Contains(log, tc.wantErr)) {
				t.Errorf("passed=%v, want a failure saying %q; log:\n%s", ok, tc.wantErr, log)
			}
		})
	}
}

const releaseDigest = "sha256:5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592"

var (
	// repoRef finds a reference to this repository or its image, with what follows it.
	repoRef = regexp.MustCompile(`(?:ghcr\.io/)?twittix/infra[^\s"'#]*`)
	// mutableRef is what must not remain in a release commit: a branch or a major version as a
	// ref (@v1, @main) or as the image's tag (:v1, :latest).
	mutableRef = regexp.MustCompile(`[@:](?:v[0-9]+|main|master|latest)(?:$|[^\w.-])`)
	// pinnedRef is what a release commit may hold: the image by the release's digest, the actions
	// and workflows at the release's tag.
	pinnedRef = regexp.MustCompile(`^(?:ghcr\.io/twittix/infra@` + releaseDigest + `|twittix/infra(?:/[\w.-]+)*@v9\.8\.7)$`)
)

// TestReleaseCommitHasNoMutableReference runs release.yml's pin step on a copy of this tree, as the
// release job does, and checks the release commit it tags: every sub-action runs the image by
// digest, every reference of the reusable workflows to this repository is at the release tag, and
// nothing else changed.
func TestReleaseCommitHasNoMutableReference(t *testing.T) {
	t.Parallel()
	dir, origin := releaseRepo(t)
	log, outputs, ok := stepRun(t, dir, "release", "pin", "VERSION=v9.8.7", "DIGEST="+releaseDigest)
	if !ok {
		t.Fatalf("the pin step failed:\n%s", log)
	}
	commit := git(t, origin, "rev-parse", "refs/tags/v9.8.7^{commit}")
	if outputs != "commit="+commit+"\n" {
		t.Errorf("the pin step's outputs are %q, want commit=%s (the tag pushed to origin)", outputs, commit)
	}

	targets := releaseTargets(t, dir)
	changed := strings.Fields(git(t, dir, "diff", "--name-only", commit+"~1", commit))
	for _, f := range changed {
		if !slices.Contains(targets, f) {
			t.Errorf("the release commit changed %s, which is not a sub-action or a reusable workflow", f)
		}
	}
	pinnedUses := 0
	for _, f := range targets {
		content := git(t, dir, "show", commit+":"+f)
		if strings.HasPrefix(f, "actions/") && !strings.Contains(content, "image: docker://ghcr.io/twittix/infra@"+releaseDigest+"\n") {
			t.Errorf("%s in the release commit does not run the image by digest", f)
		}
		for i, line := range strings.Split(content, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue // comments show callers how to use the actions
			}
			for _, ref := range repoRef.FindAllString(line, -1) {
				if m := mutableRef.FindString(ref + " "); m != "" {
					t.Errorf("%s:%d in the release commit has a mutable reference (%s): %s", f, i+1, strings.TrimSpace(m), line)
				} else if !pinnedRef.MatchString(ref) {
					t.Errorf("%s:%d in the release commit refers to this repository by neither the release tag nor the image digest: %s", f, i+1, line)
				}
			}
			if strings.Contains(line, "uses: twittix/infra/") {
				pinnedUses++
			}
		}
	}
	if pinnedUses == 0 {
		t.Error("no `uses: twittix/infra/...` found in the reusable workflows; the test would check nothing")
	}
}

// TestReleaseRefusesALeftoverMutableReference checks the pin step fails, and tags nothing, when a
// reusable workflow holds a reference to the image it does not know how to pin.
func TestReleaseRefusesALeftoverMutableReference(t *testing.T) {
	t.Parallel()
	dir, origin := releaseRepo(t)
	path := filepath.Join(dir, ".github", "workflows", "production.yml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	leftover := "  leftover:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: docker run --rm ghcr.io/twittix/infra:v1 version\n"
	content := strings.TrimRight(string(b), "\n") + "\n" + leftover
	line := strings.Count(content, "\n") // the run: line is the last one
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	log, _, ok := stepRun(t, dir, "release", "pin", "VERSION=v9.8.7", "DIGEST="+releaseDigest)
	if want := fmt.Sprintf("::error::.github/workflows/production.yml:%d: ghcr.io/twittix/infra:v1 is a mutable reference", line); ok || !strings.Contains(log, want) {
		t.Errorf("the pin step passed=%v, want a failure saying %q; log:\n%s", ok, want, log)
	}
	if tags := git(t, origin, "tag", "--list"); tags != "" {
		t.Errorf("the failed pin step pushed tags %q", tags)
	}
}

// releaseTargets returns, independently of internal/release, the files a release must pin: the
// sub-actions and the reusable workflows.
func releaseTargets(t *testing.T, dir string) []string {
	t.Helper()
	actions, err := filepath.Glob(filepath.Join(dir, "actions", "*", "action.yml"))
	if err != nil || len(actions) == 0 {
		t.Fatalf("no actions/*/action.yml in %s (%v)", dir, err)
	}
	workflows, err := filepath.Glob(filepath.Join(dir, ".github", "workflows", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, f := range slices.Concat(actions, workflows) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(f, filepath.Join(dir, "actions")) || regexp.MustCompile(`(?m)^  workflow_call:`).Match(b) {
			rel, _ := filepath.Rel(dir, f)
			targets = append(targets, filepath.ToSlash(rel))
		}
	}
	return targets
}
