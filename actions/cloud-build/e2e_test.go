package cloudbuild_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cloudbuild "github.com/twittix/infra/actions/cloud-build"
	"github.com/twittix/infra/internal/actiontest"
	"github.com/twittix/infra/internal/testenv/fakecloudbuild"
	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/gcp"
)

const (
	project = "twittix-ci"
	sha     = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
	image   = "europe-west1-docker.pkg.dev/twittix-ci/services/api:v1"
)

// run is one run of the action as the GitHub runner starts it.
type run struct {
	code    int
	log     string
	outputs map[string]string
	summary string
}

// deps reaches the fake, polling fast.
func deps(fake *fakecloudbuild.Server, insecure bool) cloudbuild.Options {
	return cloudbuild.Options{
		Endpoints:  map[gcp.Service]string{gcp.CloudBuild: fake.Addr, gcp.Storage: fake.GCS.Endpoint()},
		Insecure:   insecure,
		Retry:      &gcp.RetryPolicy{Attempts: 3, Initial: 5 * time.Millisecond, Max: 10 * time.Millisecond, Multiplier: 2},
		LogPoll:    20 * time.Millisecond,
		StatusPoll: 30 * time.Millisecond,
	}
}

// githubEnv is the environment of a workflow run on a push to main, with workspace ws.
func githubEnv(t *testing.T, ws string) *actiontest.Env {
	t.Helper()
	return actiontest.NewEnv(t, map[string]string{
		"GITHUB_WORKSPACE":     ws,
		"GITHUB_SHA":           sha,
		"GITHUB_REF":           "refs/heads/main",
		"GITHUB_REF_NAME":      "main",
		"GITHUB_REF_TYPE":      "branch",
		"GITHUB_REPOSITORY":    "twittix/api",
		"GITHUB_RUN_ID":        "1234567890",
		"GITHUB_RUN_ATTEMPT":   "2",
		"GOOGLE_CLOUD_PROJECT": project,
	})
}

// runAction runs the action against fake in workspace ws with inputs.
func runAction(t *testing.T, fake *fakecloudbuild.Server, ws string, inputs map[string]string) run {
	t.Helper()
	return runWith(t, deps(fake, true), ws, inputs)
}

// runWith runs the action with the step inputs as the runner passes them (every input of
// action.yml, defaults included).
func runWith(t *testing.T, d cloudbuild.Options, ws string, inputs map[string]string) run {
	t.Helper()
	env := githubEnv(t, ws)
	env.SetStepInputs(t, "action.yml", inputs)
	var log actiontest.SyncBuffer
	code := action.Main(context.Background(), []string{"cloud-build"}, []action.Command{cloudbuild.NewCommand(d)},
		action.WithGetenv(env.Getenv), action.WithWriter(&log))
	return run{code: code, log: log.String(), outputs: env.Outputs(t), summary: env.Summary(t)}
}

// workspace writes files (name -> content) into a new directory.
func workspace(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func contains(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

func TestTagModeEndToEnd(t *testing.T) {
	t.Parallel()
	fake := fakecloudbuild.Start(t, fakecloudbuild.Options{})
	ws := workspace(t, map[string]string{
		"Dockerfile":        "FROM scratch\nCOPY server /server\nRUN echo linked\n",
		"server":            "ELF",
		".gitignore":        "*.out\n",
		"coverage.out":      "not uploaded",
		".git/HEAD":         "ref: refs/heads/main\n",
		"gha-creds-9f.json": `{"type":"external_account"}`,
	})
	r := runAction(t, fake, ws, map[string]string{"image": image, "region": "europe-west1"})
	if r.code != 0 {
		t.Fatalf("exit code %d\n%s", r.code, r.log)
	}
	builds := fake.Builds()
	if len(builds) != 1 {
		t.Fatalf("%d builds created, want 1", len(builds))
	}
	b := builds[0]
	digest := b.Results.Images[0].Digest
	want := map[string]string{
		"build_id": b.Id,
		"status":   "SUCCESS",
		"log_url":  b.LogUrl,
		"images":   `["europe-west1-docker.pkg.dev/twittix-ci/services/api@` + digest + `"]`,
		"digest":   digest,
	}
	for k, v := range want {
		if r.outputs[k] != v {
			t.Errorf("output %s = %q, want %q", k, r.outputs[k], v)
		}
	}
	if _, err := time.ParseDuration(r.outputs["duration"] + "s"); err != nil {
		t.Errorf("output duration = %q, want seconds", r.outputs["duration"])
	}
	contains(t, "log", actiontest.Unwrapped(r.log),
		"cloud-build: project twittix-ci (from environment (GOOGLE_CLOUD_PROJECT)), region europe-west1",
		"Creating temporary archive of 2 file(s)",
		"gha-creds-9f.json (credentials written by google-github-actions/auth are never uploaded)",
		"::group::Step #0 (gcr.io/cloud-builders/docker)\nStarting Step #0\n",
		"Step #0: linked\n",
		"Finished Step #0\n::endgroup::\nPUSH\n",
		"DONE\n",
		"finished with status SUCCESS",
	)
	contains(t, "summary", r.summary,
		"### Cloud Build ✅ SUCCESS",
		"| 0 | `gcr.io/cloud-builders/docker` | ✅ SUCCESS |",
		"| `"+image+"` | `"+digest+"` |",
		"[open in the Cloud console](https://console.cloud.google.com/cloud-build/builds;region=europe-west1/"+b.Id,
		"Source: 2 files (", " B compressed) uploaded to `gs://twittix-ci_cloudbuild/source/",
	)
}

func TestConfigModeEndToEnd(t *testing.T) {
	t.Parallel()
	fake := fakecloudbuild.Start(t, fakecloudbuild.Options{})
	ws := workspace(t, map[string]string{
		"Dockerfile": "FROM scratch\n",
		"ci/cloudbuild.yaml": `steps:
- id: image
  name: gcr.io/cloud-builders/docker
  args: ['build', '-t', '${_REGISTRY}/api:$SHORT_SHA', '.']
- id: announce
  name: ubuntu
  entrypoint: bash
  args: ['-c', 'echo $REPO_NAME@$COMMIT_SHA on $BRANCH_NAME to ${_ENV}']
images: ['${_REGISTRY}/api:$SHORT_SHA']
`,
	})
	r := runAction(t, fake, ws, map[string]string{
		"config":        "ci/cloudbuild.yaml",
		"substitutions": "_REGISTRY=europe-west1-docker.pkg.dev/twittix-ci/services\n_ENV=production\n",
		"tags":          "api, main",
		"timeout":       "20m",
	})
	if r.code != 0 {
		t.Fatalf("exit code %d\n%s", r.code, r.log)
	}
	b := fake.Builds()[0]
	if got, want := b.Substitutions["SHORT_SHA"], sha[:7]; got != want {
		t.Errorf("SHORT_SHA = %q, want %q", got, want)
	}
	if got := strings.Join(b.Tags, ","); !regexp.MustCompile(`^api,main,gha-1234567890-2-[0-9a-f]{12}$`).MatchString(got) {
		t.Errorf("tags = %q, want api, main and the submission tag of the run", got)
	}
	if got := b.Timeout.AsDuration(); got != 20*time.Minute {
		t.Errorf("timeout = %v", got)
	}
	contains(t, "log", r.log,
		`::group::Step #1 "announce" (ubuntu)`,
		`Step #1 - "announce": api@`+sha+` on main to production`,
	)
	var imgs []string
	if err := json.Unmarshal([]byte(r.outputs["images"]), &imgs); err != nil || len(imgs) != 1 || !strings.HasPrefix(imgs[0], "europe-west1-docker.pkg.dev/twittix-ci/services/api@sha256:") {
		t.Errorf("images = %q (%v)", r.outputs["images"], err)
	}
}

func TestFailedBuildEndToEnd(t *testing.T) {
	t.Parallel()
	fake := fakecloudbuild.Start(t, fakecloudbuild.Options{})
	ws := workspace(t, map[string]string{
		"cloudbuild.yaml": "steps:\n- id: unit-tests\n  name: golang\n  entrypoint: bash\n  args: ['-c', 'echo --- FAIL: TestLogin; exit 1']\n",
		"slow.yaml":       "steps:\n- id: slow\n  name: ubuntu\n  entrypoint: bash\n  args: ['-c', 'echo begin; sleep 30']\n",
	})
	tests := []struct {
		name, config, timeout, status string
		annotation                    []string
	}{
		{name: "failure", config: "cloudbuild.yaml", status: "FAILURE", annotation: []string{
			`finished with status FAILURE: Step #0 "unit-tests" (golang) ended with FAILURE`,
			`build step 0 "golang" failed: step exited with non-zero status: 1`,
			`Last lines of the log:%0AStarting Step #0 - "unit-tests"`,
			`Step #0 - "unit-tests": --- FAIL: TestLogin`,
		}},
		{name: "timeout", config: "slow.yaml", timeout: "1", status: "TIMEOUT", annotation: []string{
			`finished with status TIMEOUT: Step #0 "slow" (ubuntu) ended with TIMEOUT`, "raise the timeout input", `Step #0 - "slow": begin`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runAction(t, fake, ws, map[string]string{"config": tc.config, "timeout": tc.timeout})
			if r.code != 1 {
				t.Fatalf("exit code %d, want 1\n%s", r.code, r.log)
			}
			if r.outputs["status"] != tc.status || r.outputs["build_id"] == "" {
				t.Errorf("outputs = %v", r.outputs)
			}
			var annotation string
			for _, line := range strings.Split(r.log, "\n") {
				if strings.HasPrefix(line, "::error::build ") {
					annotation = line
				}
			}
			contains(t, "error annotation", annotation, tc.annotation...)
			contains(t, "summary", r.summary, "Cloud Build", tc.status, "**Error:**", "<details><summary>Last lines of the log</summary>")
		})
	}
}

func TestBadInputs(t *testing.T) {
	t.Parallel()
	fake := fakecloudbuild.Start(t, fakecloudbuild.Options{})
	ws := workspace(t, map[string]string{"README.md": "no Dockerfile here", "cloudbuild.yaml": "steps:\n- name: ubuntu\n"})
	tests := []struct {
		name   string
		inputs map[string]string
		code   int
		errors []string
	}{
		{name: "all input errors at once", code: action.ExitUsage, inputs: map[string]string{
			"image": "docker.io/library/nginx", "config": "cloudbuild.yaml", "region": "europe_west1",
			"substitutions": "_OK=1\nlower=2\n", "machine_type": "huge", "timeout": "soon",
		}, errors: []string{
			"::error::input image: \"docker.io/library/nginx\" is not in Artifact Registry",
			"::error::input image: is mutually exclusive with config",
			"::error::input region: \"europe_west1\" is not a Google Cloud region name; did you mean europe-west1?",
			"::error::input substitutions: line 2: substitution key \"lower\" does not respect format",
			"::error::input machine_type: \"huge\" is not a Cloud Build machine type",
			"::error::input timeout: \"soon\" is not a duration",
		}},
		{name: "neither image nor config", code: action.ExitUsage, inputs: map[string]string{},
			errors: []string{"::error::input image: is required unless config is set"}},
		{name: "no Dockerfile in tag mode", code: action.ExitFailure, inputs: map[string]string{"image": image},
			errors: []string{"::error::source: no Dockerfile in " + ws}},
		{name: "unknown region refused by the service", code: action.ExitFailure, inputs: map[string]string{"config": "cloudbuild.yaml", "region": "europe-west99"},
			errors: []string{`::error::region: Cloud Build refused the build in "europe-west99", a region this action does not know (did you mean europe-west9?); check the region input: `,
				`invalid location "europe-west99": Cloud Build is not available in this location`}},
		{name: "unused substitution", code: action.ExitFailure, inputs: map[string]string{"config": "cloudbuild.yaml", "substitutions": "_UNUSED=1"},
			errors: []string{`::error::substitutions: key "_UNUSED" in the substitution data is not matched in the template`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runAction(t, fake, ws, tc.inputs)
			if r.code != tc.code {
				t.Errorf("exit code %d, want %d", r.code, tc.code)
			}
			contains(t, "log", r.log, tc.errors...)
		})
	}
	if n := len(fake.Builds()); n != 0 {
		t.Errorf("%d builds created from bad inputs", n)
	}
}

func TestListFilesEndToEnd(t *testing.T) {
	t.Parallel()
	fake := fakecloudbuild.Start(t, fakecloudbuild.Options{})
	ws := workspace(t, map[string]string{
		".gcloudignore": "*.md\n!KEEP.md\nnode_modules/\n",
		"main.go":       "", "README.md": "", "KEEP.md": "", "node_modules/a.js": "", "web/node_modules/b.js": "", "web/app.ts": "",
	})
	r := runAction(t, fake, ws, map[string]string{"list_files": "true"})
	if r.code != 0 {
		t.Fatalf("exit code %d\n%s", r.code, r.log)
	}
	contains(t, "log", r.log, ".gcloudignore\nKEEP.md\nmain.go\nweb/app.ts\n4 file(s), 1 directories")
	if len(fake.Builds()) != 0 || len(r.outputs) != 0 {
		t.Errorf("list_files built (%d) or set outputs (%v)", len(fake.Builds()), r.outputs)
	}
}

func TestCredentialsNeverPrinted(t *testing.T) {
	t.Parallel()
	fake := fakecloudbuild.Start(t, fakecloudbuild.Options{})
	ws := workspace(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	const key = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7-TOP-SECRET"
	creds := `{"type": "service_account", "project_id": "twittix-ci", "private_key_id": "abc123def456",` +
		"\n" + `"private_key": "-----BEGIN PRIVATE KEY-----\n` + key + `\n-----END PRIVATE KEY-----\n", "client_email": "ci@twittix-ci.iam.gserviceaccount.com"}`
	for _, tc := range []struct {
		name     string
		insecure bool
		code     int
	}{
		{name: "build runs", insecure: true, code: 0},           // the fake needs no credentials: they are only masked
		{name: "credentials refused", insecure: false, code: 1}, // the key cannot sign: the error must not quote it
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runWith(t, deps(fake, tc.insecure), ws, map[string]string{"image": image, "credentials_json": creds})
			if r.code != tc.code {
				t.Fatalf("exit code %d, want %d\n%s", r.code, tc.code, r.log)
			}
			var shown []string
			for _, line := range strings.Split(r.log, "\n") {
				if !strings.HasPrefix(line, "::add-mask::") { // consumed by the runner
					shown = append(shown, line)
				}
			}
			for what, text := range map[string]string{"log": strings.Join(shown, "\n"), "summary": r.summary, "outputs": strings.Join(values(r.outputs), "\n")} {
				for _, secret := range []string{key, "abc123def456"} {
					if strings.Contains(text, secret) {
						t.Errorf("the %s shows the credentials (%q)", what, secret)
					}
				}
			}
			if !strings.Contains(r.log, "::add-mask::") {
				t.Error("the credentials were not masked")
			}
		})
	}
}

func values(m map[string]string) []string {
	var vs []string
	for _, v := range m {
		vs = append(vs, v)
	}
	return vs
}
