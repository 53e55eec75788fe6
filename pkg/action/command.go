package action

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
)

// Version is the version of twittix-infra, set at build time with
// -ldflags "-X github.com/twittix/infra/pkg/action.Version=v1.2.3".
var Version = "dev"

// RunFunc runs a command once its inputs are parsed.
type RunFunc func(ctx context.Context, rt *Runtime) error

// Command is a subcommand of twittix-infra: one action.
type Command struct {
	// Name is the subcommand, as in `twittix-infra deploy-swarm`.
	Name string
	// Summary is one line for the list of commands.
	Summary string
	// Setup declares the command's inputs and outputs on in, binding them to its options, and
	// returns the function that runs the command once they are parsed.
	Setup func(in *Inputs) RunFunc
	// UntilInterrupted marks a command that runs until the user stops it (a tunnel): an
	// interrupt is its normal end, so that it exits 0 when it then returns no error.
	UntilInterrupted bool
}

// Declare returns the inputs and outputs cmd declares, without running it.
func (cmd Command) Declare() *Inputs {
	in := NewInputs(cmd.Name)
	cmd.Setup(in)
	return in
}

// Exit codes of Main.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command failed, or was cancelled
	ExitUsage   = 2 // unknown command, or bad inputs
)

// Main runs the subcommand named by args[0] (or by the INPUT_COMMAND variable, as the root action
// passes it) with the remaining args as flags, and returns the process exit code. It reports
// errors as annotations; a cancelled ctx (SIGTERM/SIGINT) gives the command the chance to clean up
// and then a non-zero exit.
func Main(ctx context.Context, args []string, commands []Command, opts ...Option) int {
	rt := NewRuntime(opts...)
	name := ""
	if len(args) > 0 {
		name, args = args[0], args[1:]
	} else if name = rt.gha.GetInput("command"); name == "" {
		rt.printCommands(commands)
		return ExitUsage
	}
	switch name {
	case "version", "--version":
		rt.Infof("twittix-infra %s", Version)
		if rt.getenv("GITHUB_OUTPUT") != "" {
			if err := rt.SetOutput("version", Version); err != nil {
				rt.ReportError(err)
				return ExitFailure
			}
		}
		return ExitOK
	case "help", "-h", "--help":
		rt.printCommands(commands)
		return ExitOK
	}
	for _, cmd := range commands {
		if cmd.Name == name {
			return rt.run(ctx, cmd, args)
		}
	}
	rt.Annotate(Error, Location{}, fmt.Sprintf("unknown command %q; use one of %s", name, commandNames(commands)))
	return ExitUsage
}

func (r *Runtime) run(ctx context.Context, cmd Command, args []string) int {
	in := NewInputs(cmd.Name)
	runCmd := cmd.Setup(in)
	r.declare(in)
	if err := r.Parse(in, args); err != nil {
		if errors.Is(err, ErrHelp) {
			return ExitOK
		}
		r.ReportError(err)
		return ExitUsage
	}
	err := r.safeRun(ctx, runCmd)
	if ctx.Err() != nil && cmd.UntilInterrupted && err == nil {
		r.Infof("%s: stopped (%v)", cmd.Name, context.Cause(ctx))
		return ExitOK
	}
	if ctx.Err() != nil {
		if err != nil {
			r.ReportError(err)
		}
		r.Annotate(Error, Location{}, fmt.Sprintf("%s was cancelled (%v)", cmd.Name, context.Cause(ctx)))
		return ExitFailure
	}
	if err != nil {
		r.ReportError(err)
		return ExitFailure
	}
	return ExitOK
}

// safeRun runs the command, turning a panic into an error (with its stack in the log) so that the
// job still gets an annotation and the deferred cleanups of the command have run.
func (r *Runtime) safeRun(ctx context.Context, run RunFunc) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.Infof("panic: %v\n%s", p, debug.Stack())
			err = fmt.Errorf("internal error: %v; this is a bug in twittix-infra %s, please report it with the log above", p, Version)
		}
	}()
	return run(ctx, r)
}

// declare restricts SetOutput to the outputs in declares.
func (r *Runtime) declare(in *Inputs) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outputs = map[string]bool{}
	for _, o := range in.outputs {
		r.outputs[o.Name] = true
	}
}

func (r *Runtime) printCommands(commands []Command) {
	var b strings.Builder
	fmt.Fprintf(&b, "twittix-infra %s: deploy twittix services to Docker Swarm and Google Cloud Run.\n\n", Version)
	b.WriteString("Usage: twittix-infra <command> [--input value]...\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-14s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintf(&b, "  %-14s %s\n", "version", "Print the version")
	b.WriteString("\nRun `twittix-infra <command> --help` for a command's inputs.\n")
	r.print(b.String())
}

func commandNames(commands []Command) string {
	names := make([]string, 0, len(commands)+1)
	for _, c := range commands {
		names = append(names, c.Name)
	}
	return strings.Join(append(names, "version"), ", ")
}
