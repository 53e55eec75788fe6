package cloudbuild

import (
	"errors"
	"fmt"
	"time"

	"github.com/twittix/infra/pkg/action"
	cb "github.com/twittix/infra/pkg/cloudbuild"
	"github.com/twittix/infra/pkg/cloudbuild/subst"
	"github.com/twittix/infra/pkg/gcp"
)

// options are the inputs of the action, as read, then parsed by check.
type options struct {
	project         string
	region          string
	credentialsJSON string

	source        string
	ignoreFile    string
	listFiles     bool
	image         string
	config        string
	substitutions string

	workerPool     string
	serviceAccount string
	machineType    string
	timeout        time.Duration
	logsBucket     string
	logging        string
	tags           []string
	stagingDir     string
	async          bool

	subs map[string]string // parsed from substitutions
}

// declare declares the inputs and outputs on in, bound to o. The defaults are those of action.yml.
func declare(in *action.Inputs, o *options) {
	in.String(&o.project, action.Input{Name: "project", Validate: gcp.ValidateProjectID,
		Usage: "The Google Cloud project ID (default: GOOGLE_CLOUD_PROJECT and friends, else the credentials' project)"})
	in.String(&o.region, action.Input{Name: "region", Validate: validateRegion,
		Usage: "The region the build runs in, e.g. europe-west1 (default: global)"})
	in.String(&o.credentialsJSON, action.Input{Name: "credentials_json", Secret: true,
		Usage: "A service account key or Workload Identity Federation configuration (JSON); default: Application Default Credentials"})

	in.Path(&o.source, action.Input{Name: "source", Default: ".", MustExist: true,
		Usage: "The directory uploaded as the build's source"})
	in.String(&o.ignoreFile, action.Input{Name: "ignore_file", Validate: validateIgnoreFile,
		Usage: "The ignore file to use instead of .gcloudignore, relative to source"})
	in.Bool(&o.listFiles, action.Input{Name: "list_files", Default: "false",
		Usage: "Print the files that would be uploaded, then stop (no build)"})
	in.String(&o.image, action.Input{Name: "image", ConflictsWith: []string{"config"}, Validate: cb.ValidateImage,
		Usage: "Build the source's Dockerfile and push it as this image (tag mode)"})
	in.Path(&o.config, action.Input{Name: "config", MustExist: true,
		Usage: "A cloudbuild.yaml or .json to run (config mode)"})
	in.Multiline(&o.substitutions, action.Input{Name: "substitutions",
		Usage: "User substitutions, one _KEY=value per line"})

	in.String(&o.workerPool, action.Input{Name: "worker_pool",
		Usage: "A private pool: projects/P/locations/R/workerPools/NAME, or NAME with region"})
	in.String(&o.serviceAccount, action.Input{Name: "service_account",
		Usage: "The service account the build runs as (e-mail or projects/P/serviceAccounts/EMAIL)"})
	in.String(&o.machineType, action.Input{Name: "machine_type", Validate: func(v string) error { _, err := cb.ParseMachineType(v); return err },
		Usage: "e2-medium, e2-highcpu-8, e2-highcpu-32, n1-highcpu-8 or n1-highcpu-32"})
	in.Duration(&o.timeout, action.Input{Name: "timeout",
		Usage: "The build timeout, e.g. 20m (default: the config's, else 10m)"})
	in.String(&o.logsBucket, action.Input{Name: "logs_bucket", Validate: func(v string) error { _, _, err := cb.ParseGCSURL(v); return err },
		Usage: "Where the build writes its logs: gs://BUCKET[/PREFIX] (default: Cloud Build's bucket)"})
	in.String(&o.logging, action.Input{Name: "logging", Validate: func(v string) error { _, err := cb.ParseLogging(v); return err },
		Usage: "The logging mode: GCS_ONLY, CLOUD_LOGGING_ONLY, LEGACY or NONE"})
	in.List(&o.tags, action.Input{Name: "tags", Usage: "Tags of the build, separated by commas or lines"})
	in.String(&o.stagingDir, action.Input{Name: "staging_dir", Validate: func(v string) error { _, _, err := cb.ParseGCSURL(v); return err },
		Usage: "Where the source archive is uploaded: gs://BUCKET[/PREFIX] (default: gs://PROJECT_cloudbuild/source)"})
	in.Bool(&o.async, action.Input{Name: "async", Default: "false",
		Usage: "Submit the build and return without waiting for it"})

	in.Output("build_id", "The ID of the build.")
	in.Output("status", "The status of the build: SUCCESS, FAILURE, TIMEOUT, CANCELLED... (QUEUED when async).")
	in.Output("log_url", "The build's page in the Google Cloud console.")
	in.Output("images", `The images pushed, as a JSON array of name@digest, e.g. ["europe-west1-docker.pkg.dev/p/r/api@sha256:..."].`)
	in.Output("digest", "The digest of the first image pushed, e.g. sha256:...")
	in.Output("duration", "How long the build ran, in seconds.")

	in.Check(func() error { return o.check(in) })
}

func validateRegion(v string) error {
	if v == cb.GlobalRegion {
		return nil
	}
	return gcp.ValidateRegion(v)
}

func validateIgnoreFile(v string) error {
	if v == "" || v == "." || v == ".." || containsSlash(v) {
		return fmt.Errorf("%q must be a file name in the source directory, e.g. .gcloudignore.ci", v)
	}
	return nil
}

func containsSlash(s string) bool {
	for _, r := range s {
		if r == '/' || r == '\\' {
			return true
		}
	}
	return false
}

// check validates what spans inputs or needs parsing, all at once.
func (o *options) check(in *action.Inputs) error {
	var errs []error
	bad := func(input, format string, args ...any) {
		errs = append(errs, &action.InputError{Input: input, Problem: fmt.Sprintf(format, args...)})
	}
	if !o.listFiles && o.image == "" && o.config == "" {
		bad("image", "is required unless config is set (or list_files is true): give the image to build and push, e.g. europe-west1-docker.pkg.dev/PROJECT/REPO/api:TAG, or a cloudbuild.yaml in config")
	}
	var err error
	if o.subs, err = subst.Parse(o.substitutions); err != nil {
		for _, e := range action.Flatten(err) {
			bad("substitutions", "%v", e)
		}
	}
	if o.listFiles && o.async {
		bad("async", "is mutually exclusive with list_files, which uploads nothing")
	}
	return errors.Join(errs...)
}
