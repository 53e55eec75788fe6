package promote

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/cloudrun"
	"github.com/twittix/infra/pkg/cloudrun/traffic"
	"github.com/twittix/infra/pkg/gcp"
)

// options are the inputs of the action, as read and then parsed.
type options struct {
	mode            string
	service         string
	region          string
	project         string
	credentialsJSON string

	image          string
	tag            string
	revisionSuffix string
	container      string
	envVars        string
	secrets        string
	labels         []string

	to      string
	percent int

	steps              []string
	bakeTimes          []string
	gateInterval       time.Duration
	probePath          string
	probeStatus        int
	max5xxPercent      string
	maxP99             time.Duration
	minRequests        int
	inconclusivePasses bool
	timeout            time.Duration

	// Parsed from the raw inputs above by the checks, once.
	env       []cloudrun.EnvVar
	secretEnv []cloudrun.SecretEnv
	labelMap  map[string]string
	target    *traffic.Assignment  // to, when it names one target
	split     []traffic.Assignment // what mode shift asks: the spec in to, or its target at percent
	stepsPct  []int32
	bakes     []time.Duration
	max5xx    float64 // ratio, 0 to 1; valid when max5xxPercent != ""
}

// The modes of the action.
const (
	modeDeploy   = "deploy"
	modeShift    = "shift"
	modeCanary   = "canary"
	modeRollback = "rollback"
)

// defaultPercent is the default of the percent input, which a traffic spec in to overrides.
const defaultPercent = 100

func (o *options) metricGate() bool { return o.max5xxPercent != "" || o.maxP99 > 0 }

// declare declares the inputs and outputs on in, bound to o, with the checks that span inputs.
func declare(in *action.Inputs, o *options) {
	in.Enum(&o.mode, action.Input{Name: "mode", Required: true, Values: []string{modeDeploy, modeShift, modeCanary, modeRollback},
		Usage: "What to do: deploy, shift, canary or rollback"})
	in.String(&o.service, action.Input{Name: "service", Required: true, Usage: "The Cloud Run service, e.g. web",
		Validate: func(v string) error {
			if !traffic.ValidName(v) || len(v) > 49 {
				return errors.New("is not a Cloud Run service name: lower-case letters, digits and hyphens, starting with a letter, at most 49 characters")
			}
			return nil
		}})
	in.String(&o.region, action.Input{Name: "region", Required: true, Usage: "The region of the service, e.g. europe-west1", Validate: gcp.ValidateRegion})
	in.String(&o.project, action.Input{Name: "project", Usage: "The Google Cloud project ID (default: GOOGLE_CLOUD_PROJECT and friends, else the credentials' project)", Validate: gcp.ValidateProjectID})
	in.String(&o.credentialsJSON, action.Input{Name: "credentials_json", Secret: true, Usage: "A service account key or Workload Identity Federation configuration (JSON)"})

	in.String(&o.image, action.Input{Name: "image", Usage: "The container image of the new revision (mode deploy)"})
	in.String(&o.tag, action.Input{Name: "tag", Usage: "The traffic tag of the new revision (default sha-<short commit SHA>)",
		Validate: nameCheck("a traffic tag")})
	in.String(&o.revisionSuffix, action.Input{Name: "revision_suffix", Usage: "The suffix of the new revision's name (default <tag>-<3 random letters>)",
		Validate: nameCheck("a revision suffix")})
	in.String(&o.container, action.Input{Name: "container", Usage: "The container to update in a multi-container service (default: the ingress container)"})
	in.Multiline(&o.envVars, action.Input{Name: "env_vars", Usage: "Environment variables of the new revision, one NAME=VALUE per line"})
	in.Multiline(&o.secrets, action.Input{Name: "secrets", Usage: "Secret Manager variables, one NAME=SECRET:VERSION per line"})
	in.List(&o.labels, action.Input{Name: "labels", Usage: "Labels of the service and the new revision, KEY=VALUE separated by commas or lines"})

	in.String(&o.to, action.Input{Name: "to", Usage: "The revision, tag or LATEST to shift, promote or roll back to; for shift also a spec A=10,B=90"})
	in.Int(&o.percent, action.Input{Name: "percent", Default: strconv.Itoa(defaultPercent), Min: 0, Max: 100, Usage: "The percent of traffic of the target of to (mode shift)"})

	in.List(&o.steps, action.Input{Name: "steps", Default: "10,50,100", Usage: "The increasing percents of a canary"})
	in.List(&o.bakeTimes, action.Input{Name: "bake_time", Default: "5m", Usage: "How long each canary step runs under the gate: one duration, or one per step"})
	in.Duration(&o.gateInterval, action.Input{Name: "gate_interval", Default: "30s", Usage: "How often the gate is checked during a bake"})
	in.String(&o.probePath, action.Input{Name: "probe_path", Usage: "A path requested on the revision's tag URL by the gate, e.g. /healthz",
		Validate: func(v string) error {
			if !strings.HasPrefix(v, "/") {
				return fmt.Errorf("%q must start with /, e.g. /healthz", v)
			}
			return nil
		}})
	in.Int(&o.probeStatus, action.Input{Name: "probe_status", Default: "200", Min: 100, Max: 599, Usage: "The HTTP status the probe expects"})
	in.String(&o.max5xxPercent, action.Input{Name: "max_5xx_percent", Usage: "The highest percent of 5xx answers the gate allows, e.g. 1"})
	in.Duration(&o.maxP99, action.Input{Name: "max_p99_latency", Usage: "The highest 99th percentile latency the gate allows, e.g. 800ms"})
	in.Int(&o.minRequests, action.Input{Name: "min_requests", Default: "100", Min: 0, Max: 1 << 30, Usage: "The requests a step needs for its metrics to be conclusive"})
	in.Bool(&o.inconclusivePasses, action.Input{Name: "inconclusive_passes", Default: "false", Usage: "Whether a step whose metrics are inconclusive passes"})
	in.Duration(&o.timeout, action.Input{Name: "timeout", Default: "10m", Usage: "How long to wait for a new revision to become ready"})

	in.Output("revision", "The revision deployed, promoted or rolled back to.")
	in.Output("tag", "The traffic tag of that revision, if it has one.")
	in.Output("url", "The URL of the service.")
	in.Output("tag_url", "The URL of the revision's tag, which reaches it whatever its traffic.")
	in.Output("traffic", "The traffic after the change: a JSON list of {revision, tag, percent, latest, url}.")
	in.Output("previous_traffic", "The traffic before the change, in the same JSON form.")

	in.Check(func() error { return o.check(in) })
}

// nameCheck validates a value that becomes (part of) a Cloud Run name.
func nameCheck(what string) func(string) error {
	return func(v string) error {
		if !traffic.ValidName(v) {
			return fmt.Errorf("%q is not %s: use lower-case letters, digits and hyphens, starting with a letter", v, what)
		}
		return nil
	}
}

// check validates the inputs that depend on each other or need parsing, all at once.
func (o *options) check(in *action.Inputs) error {
	var errs []error
	bad := func(input, format string, args ...any) {
		errs = append(errs, &action.InputError{Input: input, Problem: fmt.Sprintf(format, args...)})
	}
	if o.mode == modeDeploy && o.image == "" {
		bad("image", "is required when mode is deploy; name the image to deploy, e.g. europe-docker.pkg.dev/PROJECT/REPO/web:1.2.3")
	}
	var err error
	if o.env, err = parseEnv(o.envVars); err != nil {
		bad("env_vars", "%v", err)
	}
	if o.secretEnv, err = parseSecrets(o.secrets); err != nil {
		bad("secrets", "%v", err)
	}
	if o.labelMap, err = parseLabels(o.labels); err != nil {
		bad("labels", "%v", err)
	}
	if o.to == "" && (o.mode == modeShift || o.mode == modeCanary) {
		bad("to", "is required when mode is %s: a revision name, a tag (e.g. sha-1a2b3c4) or LATEST", o.mode)
	}
	o.target, o.split = nil, nil
	if o.to != "" {
		switch {
		case strings.Contains(o.to, "=") && o.mode != modeShift:
			bad("to", "a traffic spec (%s) is only for mode shift; name one revision, tag or LATEST", o.to)
		case strings.Contains(o.to, "="):
			spec, err := traffic.ParseSpec(o.to)
			if err != nil {
				bad("to", "%v", err)
			}
			o.split = spec
			// The runner passes the default of percent as if it were given, and so does a form
			// with the same default: only another value conflicts with the spec.
			if in.IsSet("percent") && o.percent != defaultPercent {
				bad("percent", "is mutually exclusive with a traffic spec in to (%s); give the percents in to and leave percent at its default %d, or name a single revision in to", o.to, defaultPercent)
			}
		default:
			a, err := traffic.ParseTarget(o.to)
			if err != nil {
				bad("to", "%v", err)
				break
			}
			o.target = &a
			if o.mode == modeShift {
				at := a
				at.Percent = int32(o.percent)
				o.split = []traffic.Assignment{at}
			}
		}
	}
	o.stepsPct = nil
	unparsed := map[int]bool{}
	for i, s := range o.steps {
		p, err := traffic.ParsePercent(s)
		if err != nil {
			bad("steps", "%v", err)
			unparsed[i+1] = true
		}
		o.stepsPct = append(o.stepsPct, p)
	}
	for _, err := range action.Flatten(cloudrun.CheckSteps(o.stepsPct)) {
		if step := new(cloudrun.StepError); errors.As(err, &step) && unparsed[step.Step] {
			continue // refused as it is written
		}
		errs = append(errs, inputError(err))
	}
	o.bakes = nil
	for _, s := range o.bakeTimes {
		d, err := action.ParseDuration(s)
		if err != nil {
			bad("bake_time", "%v", err)
		}
		o.bakes = append(o.bakes, d)
	}
	for _, err := range action.Flatten(cloudrun.CheckBakes(len(o.steps), o.bakes)) {
		errs = append(errs, inputError(err))
	}
	if o.max5xxPercent != "" {
		v, err := strconv.ParseFloat(strings.TrimSuffix(o.max5xxPercent, "%"), 64)
		if err != nil || v < 0 || v > 100 {
			bad("max_5xx_percent", "%q is not a percent from 0 to 100, e.g. 1 or 0.5", o.max5xxPercent)
		}
		o.max5xx = v / 100
	}
	if o.gateInterval <= 0 {
		bad("gate_interval", "must be positive, e.g. 30s")
	}
	if o.timeout <= 0 {
		bad("timeout", "must be positive, e.g. 10m")
	}
	return errors.Join(errs...)
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// line is a line of a multi-line input with its number, from 1.
type line struct {
	n    int
	text string
}

// lines returns the non-blank, non-comment lines of a multi-line input, trimmed.
func lines(s string) []line {
	var out []line
	for i, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, line{n: i + 1, text: l})
		}
	}
	return out
}

// parseEnv parses NAME=VALUE lines. A bad line is named by its number only, never quoted: a line
// without = is typically the continuation of a multi-line secret pasted as a value, and what
// comes before an = may be a fragment of one too.
func parseEnv(s string) ([]cloudrun.EnvVar, error) {
	var out []cloudrun.EnvVar
	var errs []error
	for _, l := range lines(s) {
		name, value, ok := strings.Cut(l.text, "=")
		name = strings.TrimSpace(name)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("line %d has no =: write NAME=VALUE, one variable per line (a multi-line value, such as a key, belongs in Secret Manager: use secrets)", l.n))
		case !envName.MatchString(name):
			errs = append(errs, fmt.Errorf("line %d is not NAME=VALUE with NAME made of letters, digits and _, not starting with a digit", l.n))
		default:
			out = append(out, cloudrun.EnvVar{Name: name, Value: value})
		}
	}
	return out, errors.Join(errs...)
}

// parseSecrets parses NAME=SECRET[:VERSION] lines; the version defaults to latest. A bad line is
// named by its number only, as in parseEnv: it may be a secret's value pasted by mistake.
func parseSecrets(s string) ([]cloudrun.SecretEnv, error) {
	var out []cloudrun.SecretEnv
	var errs []error
	for _, l := range lines(s) {
		name, ref, ok := strings.Cut(l.text, "=")
		name, ref = strings.TrimSpace(name), strings.TrimSpace(ref)
		secret, version, _ := strings.Cut(ref, ":")
		if version == "" {
			version = "latest"
		}
		if !ok || !envName.MatchString(name) || secret == "" {
			errs = append(errs, fmt.Errorf("line %d is not NAME=SECRET:VERSION, e.g. DB_PASSWORD=db-password:latest (name the secret of Secret Manager, not its value)", l.n))
			continue
		}
		out = append(out, cloudrun.SecretEnv{Name: name, Secret: secret, Version: version})
	}
	return out, errors.Join(errs...)
}

var labelKey = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
var labelValue = regexp.MustCompile(`^[a-z0-9_-]{0,63}$`)

// parseLabels parses KEY=VALUE items with Google Cloud's label rules.
func parseLabels(items []string) (map[string]string, error) {
	out := map[string]string{}
	var errs []error
	for _, it := range items {
		k, v, ok := strings.Cut(it, "=")
		if !ok || !labelKey.MatchString(k) || !labelValue.MatchString(v) {
			errs = append(errs, fmt.Errorf("%q is not KEY=VALUE with lower-case letters, digits, _ and - (keys start with a letter, at most 63 characters)", it))
			continue
		}
		out[k] = v
	}
	return out, errors.Join(errs...)
}
