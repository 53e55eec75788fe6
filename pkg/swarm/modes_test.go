package swarm

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGlobalServiceAndJob(t *testing.T) {
	e := newEnv(t, "modes")
	res := e.mustDeploy(e.options(e.write("compose.yml", `
version: "3.9"
services:
  agent:
    image: twittix-test/app:v1
    deploy:
      mode: global
      endpoint_mode: dnsrr
      update_config: {monitor: 500ms}
  migrate:
    image: twittix-test/app:v2
    environment:
      EXIT_AFTER: 200ms
      EXIT_CODE: "0"
    deploy:
      mode: replicated-job
      replicas: 2
      endpoint_mode: dnsrr
`)))
	got := map[string]string{}
	for _, s := range res.Services {
		got[s.Name] = s.Replicas() + " " + s.State
	}
	want := map[string]string{e.stack + "_agent": "1/1 created", e.stack + "_migrate": "2/2 created"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	if svc := e.service("migrate"); svc.JobStatus == nil {
		t.Errorf("migrate is not a job: %+v", svc.Spec.Mode)
	}
}
