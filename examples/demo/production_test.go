package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/twittix/infra/internal/actiontest"
)

// TestProduction runs the production half of the demo as `make demo` does (cloud-build through
// the twittix-infra binary, promote in-process, both against the fakes), with short bakes, and
// checks what it claims: the digest output, release 1 at 100%, the broken release 2 rolled back;
// and that the demo fails when the story does not happen.
func TestProduction(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "twittix-infra")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/twittix-infra").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/twittix-infra: %v\n%s", err, out)
	}
	healthy, broken := load{ok: 4990, failed: 10, p99: 120}, load{ok: 880, failed: 120, p99: 140}
	tests := []struct {
		name         string
		load1, load2 load
		wantErr      string // "" for the demo's story
	}{
		{name: "release 1 promoted, release 2 rolled back", load1: healthy, load2: broken},
		{name: "release 2 not broken after all", load1: healthy, load2: healthy,
			wantErr: "the canary of the broken release 2 was reported as a success"},
		{name: "release 1 failing its gate", load1: broken, load2: broken,
			wantErr: "the canary of release 1 failed: promote canary exited with code 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var log actiontest.SyncBuffer
			gc, stop, err := startGoogleCloud(&log)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			gc.bin, gc.root, gc.bake, gc.gate = bin, "../..", "50ms", "10ms"
			gc.load1, gc.load2 = tt.load1, tt.load2
			err = production(gc)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("production() = %v, want %q\n%s", err, tt.wantErr, log.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("production() = %v\n%s", err, log.String())
			}
			checkStory(t, gc, log.String())
		})
	}
}

// checkStory checks the outcome of the demo's production half on the fakes and in its log.
func checkStory(t *testing.T, gc *googleCloud, log string) {
	t.Helper()
	builds := gc.build.Builds()
	if len(builds) != 2 {
		t.Fatalf("%d builds, want 2 (releases 1 and 2)", len(builds))
	}
	digest := builds[0].GetResults().GetImages()[0].GetDigest()
	if !strings.Contains(log, "digest output: "+digest+"\n") {
		t.Errorf("the log does not show the digest output %s of build 1:\n%s", digest, log)
	}
	// The .gcloudignore of the stack keeps its compose file and build/ (with the API token
	// the demo writes there) on the machine.
	if m := regexp.MustCompile(`(?m)^(\d+) file\(s\), .* (\d+) path\(s\) ignored \(rules: \.gcloudignore\)$`).FindStringSubmatch(log); m == nil || m[2] == "0" {
		t.Errorf("list_files does not say it applied .gcloudignore and ignored paths:\n%s", log)
	}
	if strings.Contains(log, "\ndocker-compose.yml\n") {
		t.Errorf("list_files lists docker-compose.yml, which .gcloudignore leaves out:\n%s", log)
	}

	svc := gc.run.Service(gc.serviceName())
	traffic := svc.GetTrafficStatuses()
	if len(traffic) == 0 {
		t.Fatal("the service has no traffic")
	}
	var serving []string
	for _, tr := range traffic {
		if tr.GetPercent() > 0 {
			serving = append(serving, tr.GetRevision())
		}
	}
	if len(serving) != 1 || !strings.Contains(serving[0], "release-1") {
		t.Errorf("traffic goes to %v, want release 1's revision alone at 100%%", serving)
	}
	rev := gc.run.Revision(gc.serviceName(), serving[0])
	if got, want := rev.GetContainers()[0].GetImage(), registry+"/hello@"+digest; got != want {
		t.Errorf("release 1's revision runs %s, want %s (the digest of build 1)", got, want)
	}
	for _, want := range []string{
		"SIMULATED Google Cloud",
		"canary of " + serving[0] + " passed: " + serving[0] + " 100%",
		"**Failed and rolled back**: canary of revision ",
		"failed its gate at step 1 (10%): metrics: 120/1000 5xx (12.00%)",
		"5xx ratio above the maximum 1.00%",
		"traffic after the rollback: " + serving[0] + " 100%",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
}
