package swarm

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/twittix/infra/pkg/swarm/stackfile"
)

// LoadOptions says which compose files to load and which variables interpolate them (see
// stackfile.LoadOptions).
type LoadOptions = stackfile.LoadOptions

// ResolveImage says when image tags are resolved to digests through the registry, as docker's
// `--resolve-image` flag.
type ResolveImage string

const (
	// ResolveAlways queries the registry for every service (docker's default).
	ResolveAlways ResolveImage = "always"
	// ResolveChanged queries the registry only for services whose image changed in the files.
	ResolveChanged ResolveImage = "changed"
	// ResolveNever never queries the registry; nodes resolve the tag themselves.
	ResolveNever ResolveImage = "never"
)

// RegistryCredential is a login to one registry, sent to the nodes with the services that use its
// images when Options.WithRegistryAuth is set. It is never logged.
type RegistryCredential struct {
	// Server is the registry host (ghcr.io, europe-docker.pkg.dev, docker.io...); a scheme or path
	// is ignored.
	Server   string
	Username string
	Password string
	// IdentityToken, if set, is used instead of the password (an OAuth refresh token).
	IdentityToken string
}

// Options configures Deploy. Only Stack and Files are required; DefaultOptions gives the defaults
// of the action's inputs.
type Options struct {
	// Stack is the stack (namespace) name, as in `docker stack deploy STACK`.
	Stack string
	// LoadOptions are the compose files and the variables that interpolate them.
	LoadOptions

	// Prune removes the services of the stack that the files no longer define.
	Prune bool
	// WithRegistryAuth sends the matching Registries credential with each service.
	WithRegistryAuth bool
	// Registries are the credentials for WithRegistryAuth.
	Registries []RegistryCredential
	// ResolveImage is "always" (the default when empty), "changed" or "never".
	ResolveImage ResolveImage

	// Timeout bounds the wait for convergence, and again the wait for a rollback (default 10m).
	Timeout time.Duration
	// RollbackOnFailure rolls back every service the run changed when the deploy fails
	// (true in DefaultOptions).
	RollbackOnFailure bool
	// MaxTaskFailures is the number of failed tasks of a service, since the deploy started, at
	// which the deploy fails even though Swarm keeps retrying (default 3).
	MaxTaskFailures int
	// DryRun loads, converts and compares with the swarm, and changes nothing.
	DryRun bool

	// Holder names this run in the stack's deploy lock (a CI run URL, say); default host and pid.
	Holder string
	// LockWait is how long to wait for another run's lock; 0 refuses at once.
	LockWait time.Duration
	// LockTTL is how long the lock holds before another run may break it (default 2×Timeout+5m).
	LockTTL time.Duration

	// PollInterval is the delay between two polls of the swarm while waiting (default 250ms).
	PollInterval time.Duration
	// ProgressInterval repeats an unchanged progress line this often (default 5s).
	ProgressInterval time.Duration
	// LogTail is the number of log lines kept for a failing service (default 30).
	LogTail int
	// CleanupBudget bounds the clean-up once the deploy is over: removing unused secrets and
	// configs, reading the final state, releasing the lock. After a cancel, the lock is released
	// first, then the final state read, both within it (default DefaultCleanupBudget).
	CleanupBudget time.Duration
}

// DefaultOptions returns the options of the action's defaults for stack and compose files.
func DefaultOptions(stack string, files ...string) Options {
	return Options{
		Stack:             stack,
		LoadOptions:       LoadOptions{Files: files},
		ResolveImage:      ResolveAlways,
		Timeout:           10 * time.Minute,
		RollbackOnFailure: true,
	}
}

var stackNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// withDefaults fills the zero fields and checks the others, reporting every problem at once.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	switch {
	case o.Stack == "":
		errs = append(errs, errors.New("stack: a stack name is required"))
	case !stackNameRE.MatchString(o.Stack) || len(o.Stack) > 40:
		errs = append(errs, fmt.Errorf("stack: %q is not a valid stack name: use at most 40 letters, digits, '_', '-' or '.', starting with a letter or digit", o.Stack))
	}
	if len(o.Files) == 0 {
		errs = append(errs, errors.New("compose files: at least one compose file is required"))
	}
	switch o.ResolveImage {
	case "":
		o.ResolveImage = ResolveAlways
	case ResolveAlways, ResolveChanged, ResolveNever:
	default:
		errs = append(errs, fmt.Errorf("resolve image: %q is not one of always, changed, never", o.ResolveImage))
	}
	for i, r := range o.Registries {
		if r.Server == "" || (r.Username == "" && r.IdentityToken == "") {
			errs = append(errs, fmt.Errorf("registry credential %d: a server and a username (or an identity token) are required", i+1))
		}
	}
	if o.Timeout < 0 || o.LockWait < 0 || o.LockTTL < 0 || o.PollInterval < 0 || o.ProgressInterval < 0 ||
		o.MaxTaskFailures < 0 || o.LogTail < 0 || o.CleanupBudget < 0 {
		errs = append(errs, errors.New("timeouts, intervals and counts must not be negative"))
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.LockTTL == 0 {
		o.LockTTL = 2*o.Timeout + 5*time.Minute
	}
	if o.PollInterval == 0 {
		o.PollInterval = 250 * time.Millisecond
	}
	if o.ProgressInterval == 0 {
		o.ProgressInterval = 5 * time.Second
	}
	if o.MaxTaskFailures == 0 {
		o.MaxTaskFailures = 3
	}
	if o.LogTail == 0 {
		o.LogTail = 30
	}
	if o.CleanupBudget == 0 {
		o.CleanupBudget = DefaultCleanupBudget
	}
	return o, errors.Join(errs...)
}
