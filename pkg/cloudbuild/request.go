package cloudbuild

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"github.com/distribution/reference"
	"github.com/twittix/infra/pkg/cloudbuild/subst"
	"github.com/twittix/infra/pkg/field"
	"github.com/twittix/infra/pkg/gcp"
)

// Request is one build. Its errors are *field.Error values naming its fields (Image, Config,
// Region, ...).
type Request struct {
	// Project is the Google Cloud project ID.
	Project string
	// Region is where the build runs: a region (projects/P/locations/REGION), or "" / "global"
	// for the global pool. A worker pool fixes it.
	Region string
	// Dir is the source directory uploaded (the workspace by default).
	Dir string
	// IgnoreFile replaces .gcloudignore as the name of the ignore file.
	IgnoreFile string
	// Image is the image to build from Dir's Dockerfile and push (tag mode), like
	// `gcloud builds submit --tag`. Exclusive with Config.
	Image string
	// Config is the path of a cloudbuild.yaml / .json (config mode). Exclusive with Image.
	Config string
	// Substitutions are the user substitutions (_KEY=value), overriding the config's.
	Substitutions map[string]string
	// GitHub gives the values of the built-in substitutions the build refers to.
	GitHub subst.GitHub
	// WorkerPool is a private pool: projects/P/locations/R/workerPools/NAME, or NAME in Region.
	WorkerPool string
	// ServiceAccount runs the build: an e-mail or projects/P/serviceAccounts/EMAIL.
	ServiceAccount string
	// MachineType is e2-medium, e2-highcpu-8, e2-highcpu-32, n1-highcpu-8 or n1-highcpu-32.
	MachineType string
	// Timeout is the build timeout; 0 keeps the config's, else the service's default (10m).
	Timeout time.Duration
	// LogsBucket is where the build writes its logs: gs://BUCKET[/PREFIX].
	LogsBucket string
	// Logging is the logging mode: GCS_ONLY, CLOUD_LOGGING_ONLY, LEGACY or NONE; "" keeps the
	// config's.
	Logging string
	// Tags are Cloud Build tags added to the build.
	Tags []string
	// StagingDir is where the source archive is uploaded, gs://BUCKET[/PREFIX]; "" means gcloud's
	// default gs://<project>_cloudbuild/source, created when missing.
	StagingDir string
	// Async submits the build and returns without waiting for it.
	Async bool
	// RunID and RunAttempt identify the workflow run (GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT; 0 outside
	// GitHub Actions). They name the tag added to the build to find it again (see SubmissionTag).
	RunID, RunAttempt int64
}

// GlobalRegion is the region of builds that name none.
const GlobalRegion = "global"

// location is the region the build is sent to.
func (r Request) location() string {
	if r.Region == "" {
		return GlobalRegion
	}
	return r.Region
}

// Validate checks the request as far as it can without reading files or calling Google, and
// reports every problem at once, each a *field.Error.
func (r Request) Validate() error {
	_, err := r.Check()
	return err
}

// ValidRequest is a Request that passed its checks, with its region resolved: Check makes it,
// RunValid runs it.
type ValidRequest struct{ r Request }

// Request returns the request, its Region resolved: the worker pool's when it named none.
func (v ValidRequest) Request() Request { return v.r }

// Location returns the region the build runs in, GlobalRegion for the global pool.
func (v ValidRequest) Location() string { return v.r.location() }

// Check validates the request as Validate does and returns it with its region resolved: when
// a worker pool is given and no region, the region is the pool's.
func (r Request) Check() (ValidRequest, error) {
	var errs []error
	bad := func(f field.Name, format string, args ...any) {
		errs = append(errs, field.Errorf(f, format, args...))
	}
	if err := gcp.ValidateProjectID(r.Project); err != nil {
		bad(FieldProject, "%v", err)
	}
	switch {
	case r.Image == "" && r.Config == "":
		bad(FieldImage, "set %s (build the Dockerfile and push it) or %s (run a cloudbuild.yaml)", FieldImage, FieldConfig)
	case r.Image != "" && r.Config != "":
		bad(FieldImage, "%s and %s are mutually exclusive: %[1]s builds the directory's Dockerfile, %[2]s runs a cloudbuild.yaml", FieldImage, FieldConfig)
	case r.Image != "":
		if err := ValidateImage(r.Image); err != nil {
			bad(FieldImage, "%v", err)
		}
	}
	if r.Region != "" && r.Region != GlobalRegion {
		if err := gcp.ValidateRegion(r.Region); err != nil {
			bad(FieldRegion, "%v", err)
		}
	}
	resolved := r
	if r.WorkerPool != "" {
		pool, err := r.poolName()
		if err != nil {
			bad(FieldWorkerPool, "%v", err)
		} else if region := strings.Split(pool, "/")[3]; r.Region != "" && r.Region != region {
			bad(FieldWorkerPool, "the pool %s is in %s but %s is %s: builds run in their pool's region; drop %[3]s or make them match", pool, region, FieldRegion, r.Region)
		} else if r.Region == "" {
			resolved.Region = region
		}
	}
	if r.ServiceAccount != "" {
		if _, err := serviceAccountName(r.Project, r.ServiceAccount); err != nil {
			bad(FieldServiceAccount, "%v", err)
		}
	}
	if r.MachineType != "" {
		if _, err := ParseMachineType(r.MachineType); err != nil {
			bad(FieldMachineType, "%v", err)
		}
	}
	if r.Logging != "" {
		if _, err := ParseLogging(r.Logging); err != nil {
			bad(FieldLogging, "%v", err)
		}
	}
	if r.Timeout > 24*time.Hour {
		bad(FieldTimeout, "%v is longer than Cloud Build's limit of 24h", r.Timeout)
	}
	if r.LogsBucket != "" {
		if _, _, err := ParseGCSURL(r.LogsBucket); err != nil {
			bad(FieldLogsBucket, "%v", err)
		}
	}
	if r.StagingDir != "" {
		if _, _, err := ParseGCSURL(r.StagingDir); err != nil {
			bad(FieldStagingDir, "%v", err)
		}
	}
	for _, t := range r.Tags {
		if !buildTagRE.MatchString(t) {
			hint := ""
			if strings.Contains(t, "/") {
				hint = " (a ref name such as feature/x cannot be a tag as it is: replace its '/')"
			}
			bad(FieldTags, "%q is not a valid build tag: use letters, digits, '_', '.' and '-', starting with a letter, digit or '_', at most 128 characters%s", t, hint)
		}
	}
	if len(r.Tags) > maxTags-1 {
		bad(FieldTags, "%d tags given; Cloud Build accepts at most %d, and the action adds one (gha-RUNID-ATTEMPT-NONCE)", len(r.Tags), maxTags)
	}
	for k := range r.Substitutions {
		if err := subst.CheckKey(k); err != nil {
			bad(FieldSubstitutions, "%v", err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return ValidRequest{}, err
	}
	return ValidRequest{r: resolved}, nil
}

var buildTagRE = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)

// maxTags is how many tags a build may have.
const maxTags = 64

// ValidateImage checks that name can be pushed by Cloud Build in tag mode: an Artifact Registry
// image (LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE[:TAG]) or a Container Registry one
// ([REGION.]gcr.io/PROJECT/IMAGE[:TAG]).
func ValidateImage(name string) error {
	const examples = "use LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE[:TAG] (Artifact Registry) or gcr.io/PROJECT/IMAGE[:TAG]"
	ref, err := reference.ParseNamed(name)
	if err != nil {
		return fmt.Errorf("%q is not a valid image name (%v); %s", name, err, examples)
	}
	if _, ok := ref.(reference.Digested); ok {
		return fmt.Errorf("%q names a digest; the image to push needs a tag or none; %s", name, examples)
	}
	domain, path := reference.Domain(ref), reference.Path(ref)
	parts := strings.Split(path, "/")
	switch {
	case strings.HasSuffix(domain, "-docker.pkg.dev"):
		if len(parts) < 3 {
			return fmt.Errorf("%q lacks a part: an Artifact Registry image is LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE", name)
		}
	case domain == "gcr.io" || strings.HasSuffix(domain, ".gcr.io"):
		if len(parts) < 2 {
			return fmt.Errorf("%q lacks a part: a Container Registry image is gcr.io/PROJECT/IMAGE", name)
		}
	default:
		return fmt.Errorf("%q is not in Artifact Registry (*-docker.pkg.dev) nor Container Registry (gcr.io); %s", name, examples)
	}
	return nil
}

var machineTypes = map[string]cloudbuildpb.BuildOptions_MachineType{
	"e2-medium":     cloudbuildpb.BuildOptions_E2_MEDIUM,
	"e2-highcpu-8":  cloudbuildpb.BuildOptions_E2_HIGHCPU_8,
	"e2-highcpu-32": cloudbuildpb.BuildOptions_E2_HIGHCPU_32,
	"n1-highcpu-8":  cloudbuildpb.BuildOptions_N1_HIGHCPU_8,
	"n1-highcpu-32": cloudbuildpb.BuildOptions_N1_HIGHCPU_32,
}

// ParseMachineType accepts gcloud's names (e2-highcpu-8) and the API's (E2_HIGHCPU_8).
func ParseMachineType(s string) (cloudbuildpb.BuildOptions_MachineType, error) {
	key := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", "-"))
	if mt, ok := machineTypes[key]; ok {
		return mt, nil
	}
	return 0, fmt.Errorf("%q is not a Cloud Build machine type; use e2-medium, e2-highcpu-8, e2-highcpu-32, n1-highcpu-8 or n1-highcpu-32 (private pools set theirs in the pool)", s)
}

// ParseLogging accepts GCS_ONLY, CLOUD_LOGGING_ONLY, LEGACY and NONE (any case, - or _).
func ParseLogging(s string) (cloudbuildpb.BuildOptions_LoggingMode, error) {
	key := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
	switch key {
	case "GCS_ONLY", "CLOUD_LOGGING_ONLY", "LEGACY", "NONE":
		return cloudbuildpb.BuildOptions_LoggingMode(cloudbuildpb.BuildOptions_LoggingMode_value[key]), nil
	}
	return 0, fmt.Errorf("%q is not a logging mode; use GCS_ONLY, CLOUD_LOGGING_ONLY, LEGACY or NONE", s)
}

var bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$`)

// ParseGCSURL splits gs://BUCKET[/PREFIX] (the gs:// may be left out) and checks the bucket name.
func ParseGCSURL(s string) (bucket, prefix string, err error) {
	rest := strings.TrimPrefix(strings.TrimSpace(s), "gs://")
	bucket, prefix, _ = strings.Cut(rest, "/")
	prefix = strings.Trim(prefix, "/")
	if !bucketRE.MatchString(bucket) || strings.Contains(bucket, "..") {
		return "", "", fmt.Errorf("%q does not name a Cloud Storage bucket: use gs://BUCKET or gs://BUCKET/PREFIX (bucket names use lower-case letters, digits, '-', '_' and '.')", s)
	}
	return bucket, prefix, nil
}

// poolName returns the full name of the worker pool.
func (r Request) poolName() (string, error) {
	p := strings.TrimSpace(r.WorkerPool)
	if strings.HasPrefix(p, "projects/") {
		parts := strings.Split(p, "/")
		if len(parts) != 6 || parts[2] != "locations" || parts[4] != "workerPools" || parts[1] == "" || parts[3] == "" || parts[5] == "" {
			return "", fmt.Errorf("%q is not a worker pool name; use projects/PROJECT/locations/REGION/workerPools/POOL, or POOL with region set", p)
		}
		return p, nil
	}
	if strings.Contains(p, "/") {
		return "", fmt.Errorf("%q is not a worker pool name; use projects/PROJECT/locations/REGION/workerPools/POOL, or POOL with region set", p)
	}
	if r.Region == "" || r.Region == GlobalRegion {
		return "", fmt.Errorf("the pool %q is given by its short name: set region to the pool's region, or give the full name projects/PROJECT/locations/REGION/workerPools/POOL", p)
	}
	return fmt.Sprintf("projects/%s/locations/%s/workerPools/%s", r.Project, r.Region, p), nil
}

// serviceAccountName returns projects/P/serviceAccounts/EMAIL for an e-mail or that name.
func serviceAccountName(project, sa string) (string, error) {
	sa = strings.TrimSpace(sa)
	if strings.HasPrefix(sa, "projects/") {
		parts := strings.Split(sa, "/")
		if len(parts) != 4 || parts[2] != "serviceAccounts" || !strings.Contains(parts[3], "@") {
			return "", fmt.Errorf("%q is not a service account; use its e-mail (NAME@PROJECT.iam.gserviceaccount.com) or projects/PROJECT/serviceAccounts/EMAIL", sa)
		}
		return sa, nil
	}
	if name, domain, ok := strings.Cut(sa, "@"); !ok || name == "" || !strings.Contains(domain, ".") {
		return "", fmt.Errorf("%q is not a service account e-mail; use NAME@PROJECT.iam.gserviceaccount.com", sa)
	}
	return fmt.Sprintf("projects/%s/serviceAccounts/%s", project, sa), nil
}
