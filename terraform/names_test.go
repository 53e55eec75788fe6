package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/twittix/infra/pkg/cloudbuild"
	"github.com/twittix/infra/pkg/cloudrun"
	"github.com/twittix/infra/pkg/gcp"
)

// The names Terraform and the workflows share (project, region, registry path, service names,
// environment, bucket and account names) are written in both; these tests make them agree, with
// terraform/environments/production/terraform.tfvars.example as the reference.

const root = "environments/production"

// read returns the file at path, relative to terraform/.
func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tfvars is what the example variables file sets.
type tfvars struct {
	strings  map[string]string
	services []string
}

var stringAttrRE = regexp.MustCompile(`(?m)^([a-z_]+)\s*=\s*"([^"]*)"`)

func readTFVars(t *testing.T) tfvars {
	t.Helper()
	src := read(t, root+"/terraform.tfvars.example")
	v := tfvars{strings: map[string]string{}}
	for _, m := range stringAttrRE.FindAllStringSubmatch(src, -1) {
		v.strings[m[1]] = m[2]
	}
	// services = { NAME = { ... } ... }: the keys at the first level of the map.
	kinds := classify(src)
	loc := regexp.MustCompile(`(?m)^services\s*=\s*\{`).FindStringIndex(src)
	if loc == nil {
		t.Fatal("terraform.tfvars.example sets no services")
	}
	end := matchBrace(src, kinds, loc[1]-1)
	body := block{Body: src[loc[1]:end], kinds: kinds[loc[1]:end]}
	for _, m := range regexp.MustCompile(`(?m)^\s*([a-z0-9-]+)\s*=\s*\{`).FindAllStringSubmatchIndex(body.Body, -1) {
		if body.depthAt(m[0]) == 0 {
			v.services = append(v.services, body.Body[m[2]:m[3]])
		}
	}
	if len(v.services) == 0 {
		t.Fatal("found no service in terraform.tfvars.example's services")
	}
	slices.Sort(v.services)
	return v
}

func (v tfvars) get(t *testing.T, name string) string {
	t.Helper()
	s, ok := v.strings[name]
	if !ok || s == "" {
		t.Fatalf("terraform.tfvars.example does not set %s", name)
	}
	return s
}

// workflow is the part of a workflow file these tests read.
type workflow struct {
	On struct {
		WorkflowCall struct {
			Inputs map[string]struct {
				Default any `yaml:"default"`
			} `yaml:"inputs"`
		} `yaml:"workflow_call"`
		WorkflowDispatch struct {
			Inputs map[string]struct {
				Options []string `yaml:"options"`
			} `yaml:"inputs"`
		} `yaml:"workflow_dispatch"`
	} `yaml:"on"`
	Jobs map[string]struct {
		Environment string `yaml:"environment"`
		Steps       []struct {
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
	text string
}

func readWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	src := read(t, "../.github/workflows/"+name)
	var w workflow
	if err := yaml.Unmarshal([]byte(src), &w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	w.text = src
	return w
}

func (w workflow) inputDefault(t *testing.T, name string) string {
	t.Helper()
	in, ok := w.On.WorkflowCall.Inputs[name]
	if !ok {
		t.Fatalf("the workflow has no input %s", name)
	}
	return fmt.Sprint(in.Default)
}

// variableDefault returns the default of a string variable of a Terraform file.
func variableDefault(t *testing.T, path, name string) string {
	t.Helper()
	for _, b := range blocks(path, read(t, path)) {
		if b.Type == "variable" && b.Labels[0] == name {
			if m := regexp.MustCompile(`(?m)^\s*default\s*=\s*"([^"]*)"`).FindStringSubmatch(b.Body); m != nil {
				return m[1]
			}
		}
	}
	t.Fatalf("%s: no variable %q with a string default", path, name)
	return ""
}

func TestProductionWorkflowDefaultsMatchTerraform(t *testing.T) {
	t.Parallel()
	v := readTFVars(t)
	prod := readWorkflow(t, "production.yml")
	for _, c := range []struct{ input, tfvar string }{
		{"project", "project"},
		{"region", "region"},
		{"environment", "release_environment"},
	} {
		if got, want := prod.inputDefault(t, c.input), v.get(t, c.tfvar); got != want {
			t.Errorf("production.yml's %s defaults to %q, terraform.tfvars.example's %s is %q", c.input, got, c.tfvar, want)
		}
	}
	if got, want := readWorkflow(t, "terraform.yml").inputDefault(t, "environment"), v.get(t, "release_environment"); got != want {
		t.Errorf("terraform.yml's environment defaults to %q, terraform.tfvars.example's release_environment is %q", got, want)
	}
	for _, c := range []struct{ variable, tfvar string }{
		{"region", "region"},
		{"release_environment", "release_environment"},
		{"registry_repository", "registry_repository"},
		{"infra_repository", "infra_repository"},
		{"state_bucket", "state_bucket"},
	} {
		if got, want := variableDefault(t, root+"/variables.tf", c.variable), v.get(t, c.tfvar); got != want {
			t.Errorf("variable %s defaults to %q, terraform.tfvars.example sets %q", c.variable, got, want)
		}
	}
}

func TestImagePathsMatchTheRegistry(t *testing.T) {
	t.Parallel()
	v := readTFVars(t)
	prefix := fmt.Sprintf("%s-docker.pkg.dev/%s/%s/", v.get(t, "region"), v.get(t, "project"), v.get(t, "registry_repository"))
	imageRE := regexp.MustCompile(`image:\s*([a-z0-9-]+-docker\.pkg\.dev/[^\s@:]+)`)
	files := []string{"../.github/workflows/production.yml", "../examples/workflows/service.yml", "../README.md"}
	found := 0
	for _, f := range files {
		for _, m := range imageRE.FindAllStringSubmatch(read(t, f), -1) {
			found++
			image := m[1]
			if !strings.HasPrefix(image, prefix) || !slices.Contains(v.services, strings.TrimPrefix(image, prefix)) {
				t.Errorf("%s names image %s: want %sSERVICE with SERVICE one of %v (terraform output registry_url)", f, image, prefix, v.services)
			}
		}
	}
	if found == 0 {
		t.Fatalf("no Artifact Registry image found in %v", files)
	}
}

func TestPromoteFormListsTheServices(t *testing.T) {
	t.Parallel()
	v := readTFVars(t)
	promote := readWorkflow(t, "promote.yml")
	options := slices.Clone(promote.On.WorkflowDispatch.Inputs["service"].Options)
	slices.Sort(options)
	if !slices.Equal(options, v.services) {
		t.Errorf("promote.yml offers the services %v, terraform.tfvars.example has %v: add or remove the option", options, v.services)
	}
	if got, want := promote.Jobs["promote"].Environment, v.get(t, "release_environment"); got != want {
		t.Errorf("promote.yml's job runs in environment %q, but the release account accepts %q only", got, want)
	}
}

func TestStateBucketMatchesTheBackend(t *testing.T) {
	t.Parallel()
	v := readTFVars(t)
	m := regexp.MustCompile(`(?s)backend "gcs" \{.*?bucket\s*=\s*"([^"]+)"`).FindStringSubmatch(read(t, root+"/versions.tf"))
	if m == nil {
		t.Fatal("versions.tf has no gcs backend with a bucket")
	}
	if got, want := m[1], v.get(t, "state_bucket"); got != want {
		t.Errorf("the backend's bucket is %q, terraform.tfvars.example's state_bucket is %q", got, want)
	}
	if got, want := m[1], v.get(t, "project")+"-tfstate"; got != want {
		t.Errorf("the backend's bucket is %q, want PROJECT-tfstate = %q (terraform/README.md creates it)", got, want)
	}
}

// TestBuildNamesMatchTheCloudBuildStep checks the names production.yml gives the cloud-build
// action (runner account, logs bucket) are those the build module creates, and that the
// module's source bucket is the action's default staging bucket.
func TestBuildNamesMatchTheCloudBuildStep(t *testing.T) {
	t.Parallel()
	prod := readWorkflow(t, "production.yml")
	var with map[string]string
	for _, s := range prod.Jobs["build"].Steps {
		if strings.Contains(s.Uses, "actions/cloud-build") {
			with = s.With
		}
	}
	if with == nil {
		t.Fatal("production.yml's build job has no cloud-build step")
	}
	runner := variableDefault(t, "modules/build/variables.tf", "runner_account_id")
	if got, want := with["service_account"], fmt.Sprintf("${{ format('%s@{0}.iam.gserviceaccount.com', inputs.project) }}", runner); got != want {
		t.Errorf("the cloud-build step's service_account is %q, want %q (the build module's runner)", got, want)
	}
	buildMain := read(t, "modules/build/main.tf")
	if !strings.Contains(buildMain, `logs_bucket   = "${var.project}-cloudbuild-logs"`) {
		t.Fatal(`modules/build/main.tf no longer names the logs bucket "${var.project}-cloudbuild-logs": update this test and production.yml together`)
	}
	if got, want := with["logs_bucket"], "${{ format('gs://{0}-cloudbuild-logs', inputs.project) }}"; got != want {
		t.Errorf("the cloud-build step's logs_bucket is %q, want %q (the build module's logs bucket)", got, want)
	}
	tftest := read(t, "modules/build/tests/build.tftest.hcl")
	for _, project := range []string{"twittix-prod", "google.com:twittix"} {
		if want := `"` + cloudbuild.DefaultStagingBucket(project) + `"`; !strings.Contains(tftest, want) {
			t.Errorf("build.tftest.hcl does not expect the staging bucket %s of project %s (pkg/cloudbuild.DefaultStagingBucket)", want, project)
		}
	}
}

func TestRegionsMatchPkgGCP(t *testing.T) {
	t.Parallel()
	var body string
	for _, b := range blocks("variables.tf", read(t, root+"/variables.tf")) {
		if b.Type == "variable" && b.Labels[0] == "region" {
			body = b.Body
		}
	}
	m := regexp.MustCompile(`(?s)contains\(\[(.*?)\], var\.region\)`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the region variable has no contains([...], var.region) validation")
	}
	var got []string
	for _, q := range regexp.MustCompile(`"([a-z0-9-]+)"`).FindAllStringSubmatch(m[1], -1) {
		got = append(got, q[1])
	}
	if !slices.Equal(got, gcp.Regions) {
		t.Errorf("the region validation lists %v, pkg/gcp.Regions is %v", got, gcp.Regions)
	}
}

func TestAlertsReadTheGateMetrics(t *testing.T) {
	t.Parallel()
	src := read(t, "modules/monitoring/main.tf")
	for name, metric := range map[string]string{"request_count": cloudrun.MetricRequestCount, "request_latencies": cloudrun.MetricRequestLatencies} {
		if want := fmt.Sprintf("%s = %q", name, metric); !regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(name) + `\s+= "` + regexp.QuoteMeta(metric) + `"`).MatchString(src) {
			t.Errorf("modules/monitoring/main.tf must set local %s (the canary gate's metric, pkg/cloudrun)", want)
		}
	}
	if !strings.Contains(src, `metric.labels.response_code_class = \"5xx\"`) {
		t.Error("the 5xx alert must count response_code_class 5xx, as the canary gate does")
	}
}

// TestGitHubVariablesAreWired checks every vars.GCP_* a workflow or example reads is set by the
// `gh variable set` commands of the root module's outputs.
func TestGitHubVariablesAreWired(t *testing.T) {
	t.Parallel()
	outputs := read(t, root+"/outputs.tf")
	files, err := filepath.Glob("../.github/workflows/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../examples/workflows/service.yml", "../README.md")
	used := map[string][]string{}
	for _, f := range files {
		for _, m := range regexp.MustCompile(`vars\.(GCP_[A-Z0-9_]+)`).FindAllStringSubmatch(read(t, f), -1) {
			used[m[1]] = append(used[m[1]], f)
		}
	}
	if len(used) == 0 {
		t.Fatal("no workflow reads a vars.GCP_* variable")
	}
	for name, where := range used {
		if !regexp.MustCompile(`(?m)^\s*` + name + `\s+=`).MatchString(outputs) {
			t.Errorf("%s reads vars.%s, which output github_variables never sets", strings.Join(slices.Compact(where), ", "), name)
		}
	}
}
