package deployswarm

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/twittix/infra/pkg/action"
)

// githubDefaults are the default variables GitHub sets in every step (docs.github.com, "Variables
// reference", "Default environment variables") that env_from_runner passes to interpolation. The
// runner's tokens (ACTIONS_RUNTIME_TOKEN, ACTIONS_ID_TOKEN_REQUEST_TOKEN and _URL...) and
// GITHUB_TOKEN are not among them, and are never passed.
var githubDefaults = []string{
	"CI",
	"GITHUB_ACTION", "GITHUB_ACTION_PATH", "GITHUB_ACTION_REPOSITORY", "GITHUB_ACTIONS",
	"GITHUB_ACTOR", "GITHUB_ACTOR_ID", "GITHUB_API_URL", "GITHUB_BASE_REF", "GITHUB_ENV",
	"GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH", "GITHUB_GRAPHQL_URL", "GITHUB_HEAD_REF", "GITHUB_JOB",
	"GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_REF", "GITHUB_REF_NAME", "GITHUB_REF_PROTECTED",
	"GITHUB_REF_TYPE", "GITHUB_REPOSITORY", "GITHUB_REPOSITORY_ID", "GITHUB_REPOSITORY_OWNER",
	"GITHUB_REPOSITORY_OWNER_ID", "GITHUB_RETENTION_DAYS", "GITHUB_RUN_ATTEMPT", "GITHUB_RUN_ID",
	"GITHUB_RUN_NUMBER", "GITHUB_SERVER_URL", "GITHUB_SHA", "GITHUB_STEP_SUMMARY",
	"GITHUB_TRIGGERING_ACTOR", "GITHUB_WORKFLOW", "GITHUB_WORKFLOW_REF", "GITHUB_WORKFLOW_SHA",
	"GITHUB_WORKSPACE",
	"RUNNER_ARCH", "RUNNER_DEBUG", "RUNNER_ENVIRONMENT", "RUNNER_NAME", "RUNNER_OS", "RUNNER_TEMP",
	"RUNNER_TOOL_CACHE",
}

var varNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// neverFromRunner reports whether a variable must not reach interpolation even when declared: the
// runner's own tokens, GITHUB_TOKEN, and the action's inputs (INPUT_SSH_KEY...).
func neverFromRunner(name string) bool {
	up := strings.ToUpper(name)
	return strings.HasPrefix(up, "ACTIONS_") || up == "GITHUB_TOKEN" || strings.HasPrefix(up, "INPUT_")
}

// parseEnvFromRunner reads the env_from_runner input: "false" (nothing), "true" (GitHub's default
// variables), or a list of more variable names to pass besides those.
func parseEnvFromRunner(raw string) (enabled bool, names []string, err error) {
	switch raw {
	case "", "false", "False", "FALSE":
		return false, nil, nil
	case "true", "True", "TRUE":
		return true, nil, nil
	}
	var bad []string
	for _, n := range action.SplitList(raw) {
		switch {
		case !varNameRE.MatchString(n):
			bad = append(bad, fmt.Sprintf("%q is not a variable name", n))
		case neverFromRunner(n):
			bad = append(bad, fmt.Sprintf("%s is never passed (the runner's tokens, GITHUB_TOKEN and the action's inputs stay out of the compose files); pass what the stack needs through env or env_secrets", n))
		default:
			names = append(names, n)
		}
	}
	if len(bad) > 0 {
		return false, nil, fmt.Errorf("%s; use true, false, or a list of variable names such as `APP_VERSION, DEPLOY_NOTE`", strings.Join(bad, "; "))
	}
	return true, names, nil
}

// runnerEnv returns the runner variables env_from_runner allows: GitHub's defaults and the declared
// names. A variable that is empty counts as unset, except GitHub's defaults in GitHub Actions, which
// the runner always sets (GITHUB_BASE_REF is empty on a push).
func runnerEnv(getenv func(string) string, inGitHub bool, declared []string) map[string]string {
	out := map[string]string{}
	for _, name := range slices.Concat(githubDefaults, declared) {
		if v := getenv(name); v != "" || (inGitHub && slices.Contains(githubDefaults, name)) {
			out[name] = v
		}
	}
	return out
}
