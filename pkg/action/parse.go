package action

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// ErrHelp is returned by Parse when --help was asked for and the usage was printed.
var ErrHelp = errors.New("help requested")

// InputError is a problem with one input's value.
type InputError struct {
	Input   string
	Problem string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("input %s: %s", e.Input, e.Problem)
}

// Parse reads every input of in from args (--kebab-case flags) and the INPUT_<NAME> environment,
// masks the secret ones, stores the parsed values and validates them. It returns every problem at
// once, joined; ErrHelp if --help was given (the usage is then printed).
func (r *Runtime) Parse(in *Inputs, args []string) error {
	given, err := r.readFlags(in, args)
	if err != nil {
		return err
	}
	for _, i := range in.inputs {
		i.raw, i.given, i.source = "", false, "default"
		if v, ok := given[i.Name]; ok && strings.TrimSpace(v) != "" {
			i.raw, i.given, i.source = strings.TrimSpace(v), true, "flag"
		} else if v := r.gha.GetInput(i.Name); v != "" {
			i.raw, i.given, i.source = v, true, "env"
		} else {
			i.raw = i.Default
		}
	}
	// Mask before anything else can print a value.
	for _, i := range in.inputs {
		if i.Secret && i.given {
			r.Mask(i.raw)
		}
	}
	return r.validate(in)
}

func (r *Runtime) validate(in *Inputs) error {
	var errs []error
	env := environment{workspace: r.Workspace()}
	conflicts := map[[2]string]bool{}
	for _, i := range in.inputs {
		if i.raw == "" && i.Required {
			errs = append(errs, &InputError{i.Name, "is required; " + usageHint(i)})
			continue
		}
		if !i.set() && len(i.RequiredUnless) > 0 && !slices.ContainsFunc(i.RequiredUnless, in.IsSet) {
			errs = append(errs, &InputError{i.Name, fmt.Sprintf("is required unless %s is set; %s",
				orList(i.RequiredUnless), usageHint(i))})
			continue
		}
		for _, other := range i.ConflictsWith {
			pair := [2]string{min(i.Name, other), max(i.Name, other)}
			if i.set() && in.IsSet(other) && !conflicts[pair] {
				conflicts[pair] = true // each pair once, whichever side declares it
				errs = append(errs, &InputError{i.Name, fmt.Sprintf("is mutually exclusive with %s; set only one of them", other)})
			}
		}
		if i.raw == "" {
			continue
		}
		if err := i.store(i.raw, env); err != nil {
			errs = append(errs, &InputError{i.Name, err.Error()})
			continue
		}
		if i.given && i.Validate != nil {
			if err := i.Validate(i.raw); err != nil {
				errs = append(errs, &InputError{i.Name, err.Error()})
			}
		}
	}
	for _, check := range in.checks {
		if err := check(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func usageHint(i *input) string {
	u := strings.TrimSuffix(i.Usage, ".")
	if u == "" {
		return "set it in the step's `with:`, or as --" + FlagName(i.Name) + " when run locally"
	}
	return "expected: " + lowerFirst(u)
}

func lowerFirst(s string) string {
	if s == "" || (len(s) > 1 && strings.ToUpper(s[:2]) == s[:2]) { // keep acronyms ("SSH ...")
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func orList(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// FlagName is the command-line flag of an input: stack_name -> stack-name.
func FlagName(input string) string {
	return strings.ReplaceAll(input, "_", "-")
}

// EnvName is the environment variable GitHub Actions sets for an input: stack_name -> INPUT_STACK_NAME.
func EnvName(input string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(input, " ", "_"))
}

// readFlags parses args into raw values by input name.
func (r *Runtime) readFlags(in *Inputs, args []string) (map[string]string, error) {
	fs := flag.NewFlagSet(in.command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	given := map[string]string{}
	for _, i := range in.inputs {
		v := &flagValue{name: i.Name, given: given, isBool: i.kind == KindBool, repeat: i.kind == KindList}
		fs.Var(v, FlagName(i.Name), i.Usage)
		if i.Short != "" {
			fs.Var(v, i.Short, i.Usage)
		}
	}
	help := fs.Bool("help", false, "")
	fs.BoolVar(help, "h", false, "")
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%w; run `twittix-infra %s --help` for the inputs", err, in.command)
	}
	if *help {
		r.printUsage(in)
		return nil, ErrHelp
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: inputs are given as --name value; run `twittix-infra %s --help`", fs.Arg(0), in.command)
	}
	return given, nil
}

type flagValue struct {
	name   string
	given  map[string]string
	isBool bool
	repeat bool // each occurrence adds a line, as -L does
}

func (f *flagValue) String() string   { return "" }
func (f *flagValue) IsBoolFlag() bool { return f.isBool }
func (f *flagValue) Set(v string) error {
	if prev, ok := f.given[f.name]; ok && f.repeat {
		v = prev + "\n" + v
	}
	f.given[f.name] = v
	return nil
}

func (r *Runtime) printUsage(in *Inputs) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: twittix-infra %s [--input value]...\n\n", in.command)
	fmt.Fprintf(&b, "Each input is a flag, or the environment variable GitHub Actions sets for it (INPUT_<NAME>).\n\nInputs:\n")
	for _, i := range in.inputs {
		var tags []string
		if i.Required {
			tags = append(tags, "required")
		}
		if len(i.RequiredUnless) > 0 {
			tags = append(tags, "required unless "+orList(i.RequiredUnless))
		}
		if i.Secret {
			tags = append(tags, "secret")
		}
		if i.Default != "" {
			tags = append(tags, fmt.Sprintf("default %q", i.Default))
		}
		if len(i.Values) > 0 {
			tags = append(tags, "one of "+strings.Join(i.Values, "|"))
		}
		arg := " " + string(i.kind)
		if i.kind == KindBool {
			arg = ""
		}
		short := ""
		if i.Short != "" {
			short = fmt.Sprintf(", -%s%s", i.Short, arg)
		}
		fmt.Fprintf(&b, "  --%s%s%s\n        %s", FlagName(i.Name), arg, short, i.Usage)
		if len(tags) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(tags, "; "))
		}
		fmt.Fprintf(&b, "\n        env %s\n", EnvName(i.Name))
	}
	if len(in.outputs) > 0 {
		fmt.Fprintf(&b, "\nOutputs (printed as name=value when GITHUB_OUTPUT is not set):\n")
		for _, o := range in.outputs {
			fmt.Fprintf(&b, "  %s\n        %s\n", o.Name, o.Description)
		}
	}
	r.print(b.String())
}
