package main

// The production half of the demo: cloud-build and promote against Google Cloud simulated on this
// machine by the stand-ins the tests use (fake-gcs-server and the gRPC fakes of Cloud Build, Cloud
// Run and Monitoring on the official protos), started in this process.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/twittix/infra/actions/promote"
	"github.com/twittix/infra/internal/actiontest"
	"github.com/twittix/infra/internal/testenv/fakecloudbuild"
	"github.com/twittix/infra/internal/testenv/fakemonitoring"
	"github.com/twittix/infra/internal/testenv/fakerun"
	ghaction "github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/gcp"
)

const (
	gcpProject = "twittix-prod"
	gcpRegion  = "europe-west1"
	runService = "hello"
	registry   = gcpRegion + "-docker.pkg.dev/" + gcpProject + "/services"
)

// googleCloud is Google Cloud as the demo simulates it, and how the demo runs the actions on it.
type googleCloud struct {
	build *fakecloudbuild.Server
	run   *fakerun.Server
	mon   *fakemonitoring.Server

	bin    string    // the twittix-infra binary
	out    io.Writer // where the actions' logs go
	bake   string    // the bake time of each canary step but the last
	gate   string    // how often the gate is checked during a bake
	root   string    // the repository checkout, where the binary runs ("" for the current directory)
	source string    // the directory cloud-build uploads, relative to root

	// What Monitoring reports of release 1 (healthy) and release 2 (broken).
	load1, load2 load
}

// load is what Cloud Monitoring reports of a revision: requests answered 2xx and 5xx, and the p99
// latency in milliseconds.
type load struct {
	ok, failed int64
	p99        float64
}

// ratio is the 5xx ratio of l, e.g. "0.2%".
func (l load) ratio() string {
	return strconv.FormatFloat(100*float64(l.failed)/float64(l.ok+l.failed), 'f', -1, 64) + "%"
}

// release is what a build and a deploy of the service gave.
type release struct {
	digest, image, revision, tag, tagURL string
}

// production runs the production half, one section per step: what a build uploads, a build, a
// deploy, a canary that reaches 100%, and the canary of a broken release, rolled back.
func production(gc *googleCloud) error {
	gc.step("Production, on a SIMULATED Google Cloud: Cloud Build, Cloud Storage, Cloud Run and Monitoring run in this process")
	fmt.Fprintf(gc.out, "Nothing below reaches Google: fake-gcs-server and gRPC fakes of the official APIs on %s, %s, %s.\n",
		gc.build.Addr, gc.run.Addr, gc.mon.Addr)
	fmt.Fprintf(gc.out, "Cloud Run service %s (project %s, %s) serves its first revision, %s.\n", runService, gcpProject, gcpRegion, gc.servingRevision())

	if err := gc.showUpload(); err != nil {
		return err
	}
	r1, err := gc.buildFirstRelease()
	if err != nil {
		return err
	}
	if err := gc.deployFirstRelease(&r1); err != nil {
		return err
	}
	if err := gc.canaryToFull(r1); err != nil {
		return err
	}
	return gc.brokenRelease()
}

// showUpload shows the .gcloudignore of the source and what cloud-build would upload.
func (gc *googleCloud) showUpload() error {
	gc.step("What cloud-build uploads of " + gc.source + ": its .gcloudignore applied (list_files)")
	ignore, err := os.ReadFile(filepath.Join(gc.root, gc.source, ".gcloudignore"))
	if err != nil {
		return err
	}
	fmt.Fprintf(gc.out, "%s/.gcloudignore:\n  %s\n", gc.source, strings.ReplaceAll(strings.TrimSpace(string(ignore)), "\n", "\n  "))
	_, err = gc.cloudBuild(map[string]string{"list_files": "true"})
	return err
}

// buildFirstRelease builds release 1 and shows its digest output.
func (gc *googleCloud) buildFirstRelease() (release, error) {
	gc.step("cloud-build: the source streamed to the bucket as a tarball, the build's log streamed step by step")
	r, err := gc.buildRelease("1")
	if err != nil {
		return r, err
	}
	fmt.Fprintf(gc.out, "digest output: %s\n", r.digest)
	return r, nil
}

// deployFirstRelease deploys release 1 without traffic and fetches its tag URL.
func (gc *googleCloud) deployFirstRelease(r *release) error {
	gc.step("promote deploy: a revision of " + r.image + " without traffic, with its own tag URL")
	if err := gc.deploy(r, "release-1"); err != nil {
		return err
	}
	fmt.Fprintf(gc.out, "revision %s, tag URL %s (0%% of the traffic) -> %s", r.revision, r.tagURL, get(r.tagURL))
	return nil
}

// canaryToFull moves release 1 to 100% through a gated canary.
func (gc *googleCloud) canaryToFull(r release) error {
	gc.step("promote canary 10 → 50 → 100, baked " + gc.bake + " a step, gated on a probe and the simulated Monitoring series (" + gc.load1.ratio() + " 5xx)")
	gc.report(r.revision, gc.load1)
	if err := gc.canary(r.tag); err != nil {
		return fmt.Errorf("the canary of release 1 failed: %w", err)
	}
	fmt.Fprintf(gc.out, "traffic: %s\n", gc.split())
	return nil
}

// brokenRelease builds and deploys release 2 (their logs held back: they are release 1's again),
// and shows its canary fail at 10% and roll back.
func (gc *googleCloud) brokenRelease() error {
	gc.step("Release 2, broken: built and deployed, its simulated 5xx ratio (" + gc.load2.ratio() + ") fails the gate at 10%: rolled back")
	var r release
	if err := gc.quietly(func() (err error) {
		if r, err = gc.buildRelease("2"); err != nil {
			return err
		}
		return gc.deploy(&r, "release-2")
	}); err != nil {
		return err
	}
	fmt.Fprintf(gc.out, "release 2 built (digest %s) and deployed as revision %s, tag %s, without traffic (logs as above, not repeated)\n", r.digest, r.revision, r.tag)
	gc.report(r.revision, gc.load2)
	if err := gc.canary(r.tag); err == nil {
		return errors.New("the canary of the broken release 2 was reported as a success")
	}
	fmt.Fprintf(gc.out, "traffic after the rollback: %s\n", gc.split())
	return nil
}

// step starts a section of the demo on its output.
func (gc *googleCloud) step(title string) { section(gc.out, title) }

// quietly runs fn with the actions' logs held back, and shows them only if fn fails.
func (gc *googleCloud) quietly(fn func() error) error {
	out := gc.out
	var held bytes.Buffer
	gc.out = &held
	err := fn()
	gc.out = out
	if err != nil {
		_, _ = held.WriteTo(out)
	}
	return err
}

// startGoogleCloud starts the simulated Google Cloud, with the Cloud Run service serving its
// first image; stop stops it.
func startGoogleCloud(out io.Writer) (gc *googleCloud, stop func(), err error) {
	gc = &googleCloud{bin: filepath.Join("bin", "twittix-infra"), out: out, bake: "1s", gate: "250ms", source: "examples/stack",
		load1: load{ok: 4990, failed: 10, p99: 120}, load2: load{ok: 880, failed: 120, p99: 140}}
	if gc.build, err = fakecloudbuild.New(fakecloudbuild.Options{Tick: 20 * time.Millisecond}); err != nil {
		return nil, nil, err
	}
	if gc.run, err = fakerun.New(); err != nil {
		gc.build.Close()
		return nil, nil, err
	}
	if gc.mon, err = fakemonitoring.New(); err != nil {
		gc.build.Close()
		gc.run.Close()
		return nil, nil, err
	}
	stop = func() { gc.mon.Close(); gc.run.Close(); gc.build.Close() }
	if _, err := gc.run.AddService(gc.serviceName(), registry+"/hello:0"); err != nil {
		stop()
		return nil, nil, err
	}
	return gc, stop, nil
}

// buildRelease builds release n of the source with cloud-build.
func (gc *googleCloud) buildRelease(n string) (release, error) {
	out, err := gc.cloudBuild(map[string]string{"image": registry + "/hello:" + n, "region": gcpRegion})
	if err != nil {
		return release{}, err
	}
	if !strings.HasPrefix(out["digest"], "sha256:") {
		return release{}, fmt.Errorf("cloud-build gave no image digest (outputs %v)", out)
	}
	return release{digest: out["digest"], image: registry + "/hello@" + out["digest"]}, nil
}

// cloudBuild runs `bin/twittix-infra cloud-build` of the source with inputs, as the runner starts
// it: INPUT_* variables, outputs to a GITHUB_OUTPUT file. TWITTIX_INFRA_TEST_ENDPOINTS points
// the binary at the fakes (loopback only, no credentials: it says so in a warning).
func (gc *googleCloud) cloudBuild(inputs map[string]string) (map[string]string, error) {
	outputs, err := os.CreateTemp("", "twittix-demo-output-*")
	if err != nil {
		return nil, err
	}
	outputs.Close()
	defer os.Remove(outputs.Name())
	cmd := exec.Command(gc.bin, "cloud-build")
	cmd.Stdout, cmd.Stderr, cmd.Dir = gc.out, gc.out, gc.root
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"GITHUB_OUTPUT=" + outputs.Name(),
		"GOOGLE_CLOUD_PROJECT=" + gcpProject,
		"TWITTIX_INFRA_TEST_ENDPOINTS=cloudbuild=" + gc.build.Addr + ",storage=" + gc.build.GCS.Endpoint(),
		"INPUT_SOURCE=" + gc.source,
	}
	for k, v := range inputs {
		cmd.Env = append(cmd.Env, "INPUT_"+strings.ToUpper(k)+"="+v)
	}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("cloud-build: %w", err)
	}
	return readOutputs(outputs.Name())
}

// deploy runs promote mode deploy of r.image, tagged tag, and records the revision and its URL.
func (gc *googleCloud) deploy(r *release, tag string) error {
	out, err := gc.promote(map[string]string{"mode": "deploy", "image": r.image, "tag": tag})
	if err != nil {
		return err
	}
	r.revision, r.tag, r.tagURL = out["revision"], out["tag"], out["tag_url"]
	if r.revision == "" || r.tagURL == "" {
		return fmt.Errorf("promote deploy gave no revision or tag URL (outputs %v)", out)
	}
	return nil
}

// canary runs promote mode canary of the revision tagged tag: 10, 50 then 100%, each step but the
// last baked, gated on a probe of its tag URL and on its 5xx ratio and p99 latency in Monitoring.
func (gc *googleCloud) canary(tag string) error {
	_, err := gc.promote(map[string]string{
		"mode": "canary", "to": tag, "steps": "10,50,100", "bake_time": gc.bake + "," + gc.bake + ",0s",
		"gate_interval": gc.gate, "probe_path": "/", "max_5xx_percent": "1", "max_p99_latency": "500ms",
		"min_requests": "1000",
	})
	return err
}

// promote runs the promote action of service hello with inputs, and returns its outputs.
//
// Unlike cloud-build, promote has no way to reach local fakes from the environment: the binary
// always talks to Google. The demo calls the action's own Go code in-process through action.Main,
// as the binary's main does and as actions/promote's end-to-end tests do, with the endpoints of
// the fakes as promote.Options; the inputs still come as the INPUT_* variables of a runner.
func (gc *googleCloud) promote(inputs map[string]string) (map[string]string, error) {
	outputs, err := os.CreateTemp("", "twittix-demo-output-*")
	if err != nil {
		return nil, err
	}
	outputs.Close()
	defer os.Remove(outputs.Name())
	env := actiontest.NewBareEnv(map[string]string{"GITHUB_OUTPUT": outputs.Name(), "GOOGLE_CLOUD_PROJECT": gcpProject})
	env.SetInputs(map[string]string{"service": runService, "region": gcpRegion})
	env.SetInputs(inputs)
	cmd := promote.NewCommand(promote.Options{
		Endpoints:    map[gcp.Service]string{gcp.Run: gc.run.Addr, gcp.Monitoring: gc.mon.Addr},
		Insecure:     true,
		PollInterval: 50 * time.Millisecond,
	})
	if code := ghaction.Main(context.Background(), []string{"promote"}, []ghaction.Command{cmd},
		ghaction.WithGetenv(env.Getenv), ghaction.WithWriter(gc.out)); code != 0 {
		return nil, fmt.Errorf("promote %s exited with code %d", inputs["mode"], code)
	}
	return readOutputs(outputs.Name())
}

// report stores the series Cloud Monitoring holds of a revision under load l.
func (gc *googleCloud) report(revision string, l load) {
	gc.mon.SetSeries(
		fakemonitoring.RequestCount(gcpProject, gcpRegion, runService, revision, "2xx", l.ok),
		fakemonitoring.RequestCount(gcpProject, gcpRegion, runService, revision, "5xx", l.failed),
		fakemonitoring.Latency(gcpProject, gcpRegion, runService, revision, l.p99))
}

func (gc *googleCloud) serviceName() string {
	return "projects/" + gcpProject + "/locations/" + gcpRegion + "/services/" + runService
}

// servingRevision is the revision with the most traffic.
func (gc *googleCloud) servingRevision() string {
	best, most := "", int32(-1)
	for _, t := range gc.run.Service(gc.serviceName()).GetTrafficStatuses() {
		if t.GetPercent() > most {
			best, most = t.GetRevision(), t.GetPercent()
		}
	}
	return best
}

// split is the service's traffic, e.g. "hello-00001-abc 100%".
func (gc *googleCloud) split() string {
	var parts []string
	for _, t := range gc.run.Service(gc.serviceName()).GetTrafficStatuses() {
		if t.GetPercent() > 0 {
			parts = append(parts, fmt.Sprintf("%s %d%%", t.GetRevision(), t.GetPercent()))
		}
	}
	return strings.Join(parts, ", ")
}

// readOutputs parses a GITHUB_OUTPUT file as the runner does.
func readOutputs(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return actiontest.ParseFileCommands(string(b))
}
