package gcp

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// EnvValue is the value of one environment variable, read by the caller.
type EnvValue struct {
	Name  string
	Value string
}

// ProjectEnvNames are the environment variables that name the project, in the order they are
// consulted. google-github-actions/auth exports all of them; gcloud reads CLOUDSDK_CORE_PROJECT and
// the Google client libraries GOOGLE_CLOUD_PROJECT.
var ProjectEnvNames = []string{
	"GOOGLE_CLOUD_PROJECT",
	"CLOUDSDK_CORE_PROJECT",
	"CLOUDSDK_PROJECT",
	"GCLOUD_PROJECT",
	"GCP_PROJECT",
}

// ProjectEnv returns the values of ProjectEnvNames looked up with getenv (os.Getenv in the action,
// a map in tests), skipping empty ones.
func ProjectEnv(getenv func(string) string) []EnvValue {
	var vals []EnvValue
	for _, name := range ProjectEnvNames {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			vals = append(vals, EnvValue{Name: name, Value: v})
		}
	}
	return vals
}

// ResolveProject picks the project: explicit (an input), else the first non-empty env value,
// else fromCredentials. This is the order of gcloud and of Google's client libraries: the
// environment names the project to work in, while the project of the credentials is only where the
// service account lives (with Workload Identity Federation, often a central project). source says
// which one it used: "input", "environment (NAME)" or "credentials". The project is validated.
func ResolveProject(explicit, fromCredentials string, env []EnvValue) (project, source string, err error) {
	return resolveProject(explicit, func() string { return fromCredentials }, env)
}

// resolveProject is ResolveProject with the project of the credentials looked up only when needed
// (it may ask the metadata server).
func resolveProject(explicit string, fromCredentials func() string, env []EnvValue) (project, source string, err error) {
	project, source = strings.TrimSpace(explicit), "input"
	if project == "" {
		project, source = firstEnv(env)
	}
	if project == "" {
		project, source = fromCredentials(), "credentials"
	}
	if project == "" {
		return "", "", errors.New("no Google Cloud project: set the project input, set project_id in " +
			"google-github-actions/auth (it exports GOOGLE_CLOUD_PROJECT), or use credentials that name a project")
	}
	if err := ValidateProjectID(project); err != nil {
		return "", "", fmt.Errorf("project from %s: %w", source, err)
	}
	return project, source, nil
}

// firstEnv returns the first non-empty value of env and where it came from.
func firstEnv(env []EnvValue) (value, source string) {
	for _, e := range env {
		if v := strings.TrimSpace(e.Value); v != "" {
			return v, "environment (" + e.Name + ")"
		}
	}
	return "", ""
}

// projectIDRE matches a project ID, optionally domain-scoped (example.com:my-project).
var projectIDRE = regexp.MustCompile(`^(?:[a-z0-9][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$`)

// ValidateProjectID reports whether id is a well-formed project ID (not a project number or name).
func ValidateProjectID(id string) error {
	if projectIDRE.MatchString(id) {
		return nil
	}
	if isDigits(id) {
		return fmt.Errorf("%q is a project number; give the project ID (6 to 30 lower-case letters, digits "+
			"and hyphens, starting with a letter), as shown by `gcloud projects list`", id)
	}
	return fmt.Errorf("%q is not a valid project ID: expected 6 to 30 lower-case letters, digits and hyphens, "+
		"starting with a letter and not ending with a hyphen (for example my-project-123)", id)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
