package cloudbuild

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"github.com/twittix/infra/pkg/cloudbuild/subst"
	"github.com/twittix/infra/pkg/field"
	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
)

// DockerBuilder is the builder image tag mode runs, as gcloud builds submit --tag does.
const DockerBuilder = "gcr.io/cloud-builders/docker"

// ConfigError is a problem in the build config file; Location lets the action annotate the file.
type ConfigError struct {
	File string
	Line int
	Err  error
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("config %s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("config %s: %v", e.File, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Location returns the place in the config the error is about.
func (e *ConfigError) Location() (file string, line, col int) { return e.File, e.Line, 0 }

// LoadConfig reads a cloudbuild.yaml or .json into a Build, the way gcloud does: YAML or JSON, field
// names in camelCase or snake_case, unknown fields refused.
func LoadConfig(path string) (*cloudbuildpb.Build, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: failed to read %s: %w", path, err)
	}
	var tree any
	if strings.EqualFold(filepath.Ext(path), ".json") {
		err = json.Unmarshal(data, &tree)
	} else {
		var node yaml.Node
		if err = yaml.Unmarshal(data, &node); err == nil {
			err = node.Decode(&tree)
		}
	}
	if err != nil {
		return nil, &ConfigError{File: path, Line: yamlLine(err), Err: fmt.Errorf("not valid YAML/JSON: %w", err)}
	}
	if _, ok := tree.(map[string]any); !ok {
		return nil, &ConfigError{File: path, Err: errors.New("the config must be a mapping with steps (see https://cloud.google.com/build/docs/build-config-file-schema)")}
	}
	js, err := json.Marshal(jsonable(tree))
	if err != nil {
		return nil, &ConfigError{File: path, Err: err}
	}
	b := &cloudbuildpb.Build{}
	if err := protojson.Unmarshal(js, b); err != nil {
		return nil, &ConfigError{File: path, Line: lineOfField(data, err), Err: fmt.Errorf("not a valid build config: %v", err)}
	}
	if len(b.Steps) == 0 {
		return nil, &ConfigError{File: path, Err: errors.New("the config has no steps")}
	}
	return b, nil
}

// jsonable turns what YAML decodes (map[string]any with any keys, numbers as ints) into values
// encoding/json accepts; scalars that a Build expects as strings stay as YAML typed them and
// protojson reports them.
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = jsonable(e)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = jsonable(e)
		}
		return t
	}
	return v
}

// yamlLine digs the line out of a YAML error ("yaml: line 3: ...").
func yamlLine(err error) int {
	var n int
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		fmt.Sscanf(msg[i:], "line %d", &n)
	}
	return n
}

// lineOfField finds the line of the field a protojson error names (`unknown field "stpes"`).
func lineOfField(data []byte, err error) int {
	msg := err.Error()
	i := strings.Index(msg, `field "`)
	if i < 0 {
		return 0
	}
	name := msg[i+len(`field "`):]
	name, _, _ = strings.Cut(name, `"`)
	for n, line := range strings.Split(string(data), "\n") {
		t := strings.TrimLeft(strings.TrimSpace(line), "- ")
		if strings.HasPrefix(t, name+":") || strings.HasPrefix(t, `"`+name+`"`) {
			return n + 1
		}
	}
	return 0
}

// Prepared is the build to submit, before its source is set.
type Prepared struct {
	Build *cloudbuildpb.Build
	// Warnings are what to warn about before submitting: substitution problems Cloud Build
	// tolerates because the build allows loose substitutions, and a pull request author's branch
	// name inlined in a shell script (subst.ShellInlined).
	Warnings []string
}

// Prepare makes the Build message of a validated request: the Docker build of Dir in tag mode, the
// config's build in config mode; then the inputs that override it (timeout, logs, machine type,
// pool, service account, tags) and the substitutions (the config's, the user's over them, the
// built-ins the build refers to from the GitHub context), checked as Cloud Build will.
func Prepare(r Request) (*Prepared, error) {
	var b *cloudbuildpb.Build
	if r.Image != "" {
		if _, err := os.Stat(filepath.Join(r.Dir, "Dockerfile")); err != nil {
			return nil, field.Errorf(FieldDir, "no Dockerfile in %s, which %s (tag mode) builds; add one, or use %s with a cloudbuild.yaml", r.Dir, FieldImage, FieldConfig)
		}
		b = &cloudbuildpb.Build{
			Steps:  []*cloudbuildpb.BuildStep{{Name: DockerBuilder, Args: []string{"build", "--network", "cloudbuild", "--no-cache", "-t", r.Image, "."}}},
			Images: []string{r.Image},
		}
	} else {
		var err error
		if b, err = LoadConfig(r.Config); err != nil {
			return nil, err
		}
	}
	if err := applyInputs(b, r); err != nil {
		return nil, err
	}
	user := b.Substitutions
	if user == nil {
		user = map[string]string{}
	}
	for k, v := range r.Substitutions {
		user[k] = v
	}
	b.Substitutions = subst.WithBuiltins(b, user, r.GitHub)
	if len(b.Substitutions) == 0 {
		b.Substitutions = nil
	}
	report := subst.Check(b)
	p := &Prepared{Build: b}
	var errs []error
	for _, e := range report.Errors {
		errs = append(errs, field.Errorf(FieldSubstitutions, "%s", e))
	}
	if subst.AllowLoose(b) {
		for _, w := range report.Loose {
			p.Warnings = append(p.Warnings, fmt.Sprintf("substitutions: %s (allowed: the build sets ALLOW_LOOSE)", w))
		}
	} else {
		for _, e := range report.Loose {
			errs = append(errs, field.Errorf(FieldSubstitutions, "%s (or set options.substitutionOption: ALLOW_LOOSE in the config)", e))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, w := range subst.ShellInlined(b) {
		p.Warnings = append(p.Warnings, "config: "+w)
	}
	return p, nil
}

// applyInputs sets the fields the inputs override.
func applyInputs(b *cloudbuildpb.Build, r Request) error {
	opts := func() *cloudbuildpb.BuildOptions {
		if b.Options == nil {
			b.Options = &cloudbuildpb.BuildOptions{}
		}
		return b.Options
	}
	if r.Timeout > 0 {
		b.Timeout = durationpb.New(r.Timeout)
	}
	if r.LogsBucket != "" {
		bucket, prefix, err := ParseGCSURL(r.LogsBucket)
		if err != nil {
			return field.Errorf(FieldLogsBucket, "%v", err)
		}
		b.LogsBucket = "gs://" + strings.TrimSuffix(bucket+"/"+prefix, "/")
	}
	if r.Logging != "" {
		mode, err := ParseLogging(r.Logging)
		if err != nil {
			return field.Errorf(FieldLogging, "%v", err)
		}
		opts().Logging = mode
	}
	if r.MachineType != "" {
		mt, err := ParseMachineType(r.MachineType)
		if err != nil {
			return field.Errorf(FieldMachineType, "%v", err)
		}
		opts().MachineType = mt
	}
	if r.WorkerPool != "" {
		pool, err := r.poolName()
		if err != nil {
			return field.Errorf(FieldWorkerPool, "%v", err)
		}
		opts().Pool = &cloudbuildpb.BuildOptions_PoolOption{Name: pool}
	}
	if r.ServiceAccount != "" {
		sa, err := serviceAccountName(r.Project, r.ServiceAccount)
		if err != nil {
			return field.Errorf(FieldServiceAccount, "%v", err)
		}
		b.ServiceAccount = sa
	}
	b.Tags = append(b.Tags, r.Tags...)
	if b.ServiceAccount != "" && b.LogsBucket == "" {
		switch b.GetOptions().GetLogging() {
		case cloudbuildpb.BuildOptions_CLOUD_LOGGING_ONLY, cloudbuildpb.BuildOptions_NONE:
		default:
			if b.GetOptions().GetDefaultLogsBucketBehavior() != cloudbuildpb.BuildOptions_REGIONAL_USER_OWNED_BUCKET {
				return field.Errorf(FieldServiceAccount, "Cloud Build needs a logs bucket of yours when the build runs as a service account: "+
					"set %s (gs://BUCKET), or %s to CLOUD_LOGGING_ONLY or NONE", FieldLogsBucket, FieldLogging)
			}
		}
	}
	return nil
}
