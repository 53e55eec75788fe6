package fakecloudbuild

import (
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"github.com/distribution/reference"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Limits of the service.
const (
	maxTimeout = 24 * time.Hour
	maxSteps   = 300
	maxImages  = 100
)

// validate checks a build as the service does when it is created; problems are reported together
// as one INVALID_ARGUMENT, "invalid build: ..." with ";" between them.
func validate(b *cloudbuildpb.Build, location string) error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	timeout := maxTimeout
	if b.Timeout != nil {
		timeout = b.Timeout.AsDuration()
		if timeout > maxTimeout || timeout <= 0 {
			add("invalid timeout %v: the build timeout must be greater than 0 and at most %v", timeout, maxTimeout)
		}
	}
	errs, loose := checkSubstitutions(b)
	problems = append(problems, errs...)
	if b.GetOptions().GetSubstitutionOption() != cloudbuildpb.BuildOptions_ALLOW_LOOSE {
		problems = append(problems, loose...)
	}
	problems = append(problems, checkSteps(b.Steps, timeout)...)
	if len(b.Images) > maxImages {
		add("cannot specify more than %d images to build", maxImages)
	}
	problems = append(problems, checkAfterSubstitution(b)...)
	if b.ServiceAccount != "" {
		if !strings.HasPrefix(b.ServiceAccount, "projects/") || !strings.Contains(b.ServiceAccount, "/serviceAccounts/") {
			add("invalid service account %q: expected projects/{project}/serviceAccounts/{email}", b.ServiceAccount)
		}
		logging := b.GetOptions().GetLogging()
		if b.LogsBucket == "" && logging != cloudbuildpb.BuildOptions_CLOUD_LOGGING_ONLY && logging != cloudbuildpb.BuildOptions_NONE &&
			b.GetOptions().GetDefaultLogsBucketBehavior() != cloudbuildpb.BuildOptions_REGIONAL_USER_OWNED_BUCKET {
			add("if 'build.service_account' is specified, the build must either (a) specify 'build.logs_bucket', " +
				"(b) use the REGIONAL_USER_OWNED_BUCKET build.options.default_logs_bucket_behavior option, " +
				"or (c) use either CLOUD_LOGGING_ONLY / NONE logging options")
		}
	}
	if pool := b.GetOptions().GetPool().GetName(); pool != "" {
		parts := strings.Split(pool, "/")
		switch {
		case len(parts) != 6 || parts[0] != "projects" || parts[2] != "locations" || parts[4] != "workerPools":
			add("invalid worker pool %q: expected projects/{project}/locations/{location}/workerPools/{pool}", pool)
		case parts[3] != location:
			add("worker pool %q is in %s but the build runs in %s: builds run in the region of their worker pool", pool, parts[3], location)
		}
	}
	if lb := b.LogsBucket; lb != "" && !strings.HasPrefix(lb, "gs://") {
		add("invalid logs bucket %q: Google Cloud Storage URLs must begin with 'gs://'", lb)
	}
	if len(problems) > 0 {
		return status.Error(codes.InvalidArgument, "invalid build: "+strings.Join(problems, ";"))
	}
	return nil
}

func checkSteps(steps []*cloudbuildpb.BuildStep, buildTimeout time.Duration) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if len(steps) == 0 {
		add("invalid .steps field: no build steps are specified")
	}
	if len(steps) > maxSteps {
		add("invalid .steps field: cannot specify more than %d build steps", maxSteps)
	}
	known := map[string]bool{"-": true}
	for i, s := range steps {
		if s.Name == "" {
			add("invalid .steps field: build step %d must specify name", i)
		}
		for _, dep := range s.WaitFor {
			if !known[dep] {
				add("invalid .steps field: build step #%d depends on %q, which has not been defined", i, dep)
			}
		}
		if s.Id != "" {
			if known[s.Id] {
				add("invalid .steps field: build step #%d - %q: the ID is not unique", i, s.Id)
			}
			known[s.Id] = true
		}
		for _, e := range s.Env {
			if !strings.Contains(e, "=") {
				add("invalid .steps field: build step #%d - %q: the Env entry %q must be of the form \"KEY=VALUE\"", i, s.Id, e)
			}
		}
		if s.Timeout != nil {
			if t := s.Timeout.AsDuration(); t <= 0 || t > buildTimeout {
				add("invalid .timeout in build step #%d: build step timeout %v must be > 0 and <= build timeout %v", i, t, buildTimeout)
			}
		}
		if s.Script != "" && len(s.Args) > 0 {
			add("invalid .steps field: build step #%d: script and args are mutually exclusive", i)
		}
	}
	return problems
}

// checkAfterSubstitution checks the fields that must be valid once substituted: step names and
// images must be image references.
func checkAfterSubstitution(b *cloudbuildpb.Build) []string {
	c := proto.Clone(b).(*cloudbuildpb.Build)
	values := map[string]string{"PROJECT_ID": "project", "BUILD_ID": "id", "PROJECT_NUMBER": "1", "LOCATION": "global"}
	for k, v := range c.Substitutions {
		values[k] = v
	}
	substituteBuild(c, values)
	var problems []string
	for i, s := range c.Steps {
		if s.Name == "" {
			continue // reported already
		}
		if _, err := reference.ParseNormalizedNamed(s.Name); err != nil {
			problems = append(problems, fmt.Sprintf("invalid .steps field: build step %d: invalid image name %q: %v", i, s.Name, err))
		}
	}
	for _, img := range c.Images {
		if _, err := reference.ParseNormalizedNamed(img); err != nil {
			problems = append(problems, fmt.Sprintf("invalid image name %q: %v", img, err))
		}
	}
	return problems
}
