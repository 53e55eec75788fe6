// Package action is the GitHub Actions runtime every twittix-infra subcommand runs on, built on
// github.com/sethvargo/go-githubactions.
//
// A Command declares its inputs and outputs once, on an *Inputs, binding each input to a field of
// its options:
//
//	var Command = action.Command{
//		Name:    "deploy-swarm",
//		Summary: "Deploy a compose stack to a Docker Swarm over SSH",
//		Setup: func(in *action.Inputs) action.RunFunc {
//			var o options
//			in.String(&o.stack, action.Input{Name: "stack_name", Required: true, Usage: "..."})
//			in.Duration(&o.timeout, action.Input{Name: "timeout", Default: "10m", Usage: "..."})
//			in.Output("changed", "Names of the services this run changed.")
//			return func(ctx context.Context, rt *action.Runtime) error { return run(ctx, rt, o) }
//		},
//	}
//
// That one definition serves both ways of running: in GitHub Actions the values come from the
// INPUT_<NAME> environment variables the runner sets; on a laptop from --kebab-case flags
// (--stack-name), else from the same INPUT_<NAME> variables; --help lists them with their defaults.
// An empty value means "not set", as in GitHub Actions, and the declared default applies.
//
// Parsing reads every input, masks the secret ones first (each line of a multi-line secret), then
// validates them all, reporting every problem at once with errors.Join, each naming the input and
// what would be valid. The Runtime then gives the command a logger (logging.Logger, with groups and
// warning annotations), outputs written to GITHUB_OUTPUT with a random heredoc delimiter, a
// step-summary builder and error annotations that point at a file when an error carries a location
// (see Located). Everything printed goes through a writer that replaces secrets with ***.
// Text from elsewhere (container logs, build logs) is printed with PrintRemote, inside
// ::stop-commands:: with a fresh token, so that it cannot issue workflow commands; the step
// summary is capped under GitHub's 1 MiB limit, with a notice of what was cut.
//
// Main dispatches os.Args to a Command and turns its error into annotations and an exit code.
package action
