package action

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twittix/infra/pkg/confine"
)

// Kind is the type of an input's value.
type Kind string

// The kinds of input.
const (
	KindString    Kind = "string"
	KindBool      Kind = "bool"
	KindInt       Kind = "int"
	KindDuration  Kind = "duration"
	KindEnum      Kind = "enum"
	KindList      Kind = "list"
	KindMultiline Kind = "multiline"
	KindPath      Kind = "path"
	KindPathList  Kind = "path-list"
)

// Input declares one input as the action's action.yml declares it.
type Input struct {
	// Name is the input's name in action.yml, in snake_case.
	Name string
	// Usage is a one-line description shown by --help.
	Usage string
	// Default is the default declared in action.yml, "" for none.
	Default string
	// Required makes an empty value an error.
	Required bool
	// RequiredUnless makes an empty value an error unless one of these inputs is set.
	RequiredUnless []string
	// ConflictsWith lists inputs that must not be set together with this one.
	ConflictsWith []string
	// Secret masks the value (each of its lines) before anything is printed.
	Secret bool
	// Values lists the valid values of an enum.
	Values []string
	// Min and Max bound an int when Max > Min.
	Min, Max int
	// MustExist requires a path to exist.
	MustExist bool
	// Validate checks a set value further; its error is reported as the input's problem.
	Validate func(value string) error
	// Short is another flag name for the input, such as "L" for -L, as the tools users know
	// spell it.
	Short string
}

// input is a declared Input with its kind, how to store a parsed value, and where its value came from.
type input struct {
	Input
	kind  Kind
	store func(raw string, env environment) error

	raw    string // the value used: given, or the default
	given  bool   // set by a flag or an INPUT_ variable
	source string // "flag", "env" or "default"
}

// environment is what parsing a value may depend on.
type environment struct {
	workspace string
}

// Output declares one output of an action.
type Output struct {
	Name        string
	Description string
}

// Inputs is the set of inputs and outputs of one command.
type Inputs struct {
	command string
	inputs  []*input
	byName  map[string]*input
	outputs []Output
	checks  []func() error
}

// NewInputs returns an empty set for the named command.
func NewInputs(command string) *Inputs {
	return &Inputs{command: command, byName: map[string]*input{}}
}

// Inputs returns the declared inputs, in declaration order.
func (in *Inputs) Inputs() []Input {
	out := make([]Input, 0, len(in.inputs))
	for _, i := range in.inputs {
		out = append(out, i.Input)
	}
	return out
}

// Kind returns the kind of the named input, "" if it is not declared.
func (in *Inputs) Kind(name string) Kind {
	if i, ok := in.byName[name]; ok {
		return i.kind
	}
	return ""
}

// Outputs returns the declared outputs, in declaration order.
func (in *Inputs) Outputs() []Output {
	return slices.Clone(in.outputs)
}

// IsSet reports whether the named input was given a value other than its default (by a flag or
// an INPUT_ variable). The GitHub runner passes the default of every input that a step does not
// set, as if it were given: an input at its default is therefore "not set", whichever way it came.
func (in *Inputs) IsSet(name string) bool {
	i, ok := in.byName[name]
	return ok && i.set()
}

// set reports whether the input has a value of its own: given, and not its default.
func (i *input) set() bool {
	return i.given && i.raw != i.Default
}

// Output declares an output.
func (in *Inputs) Output(name, description string) {
	in.outputs = append(in.outputs, Output{Name: name, Description: description})
}

// Check adds a validation that runs after every input is parsed, for rules that span inputs.
// Its error (possibly joined) is reported with the inputs' own problems.
func (in *Inputs) Check(fn func() error) {
	in.checks = append(in.checks, fn)
}

func (in *Inputs) add(kind Kind, i Input, store func(string, environment) error) {
	if i.Name == "" || strings.ContainsAny(i.Name, " -=\n") {
		panic(fmt.Sprintf("action: input name %q must be non-empty snake_case", i.Name))
	}
	if _, dup := in.byName[i.Name]; dup {
		panic(fmt.Sprintf("action: input %q declared twice", i.Name))
	}
	def := &input{Input: i, kind: kind, store: store}
	in.inputs = append(in.inputs, def)
	in.byName[i.Name] = def
}

// String declares a string input stored in p.
func (in *Inputs) String(p *string, i Input) {
	in.add(KindString, i, func(raw string, _ environment) error {
		*p = raw
		return nil
	})
}

// Multiline declares a multi-line string input (a key, KEY=VALUE lines...) stored in p with its
// line breaks normalised to \n.
func (in *Inputs) Multiline(p *string, i Input) {
	in.add(KindMultiline, i, func(raw string, _ environment) error {
		*p = strings.ReplaceAll(raw, "\r\n", "\n")
		return nil
	})
}

// Bool declares a boolean input (true/True/TRUE/false/False/FALSE, as actions/toolkit's
// getBooleanInput) stored in p.
func (in *Inputs) Bool(p *bool, i Input) {
	in.add(KindBool, i, func(raw string, _ environment) error {
		v, err := parseBool(raw)
		*p = v
		return err
	})
}

// Int declares a whole-number input stored in p, bounded by Min and Max when Max > Min.
func (in *Inputs) Int(p *int, i Input) {
	in.add(KindInt, i, func(raw string, _ environment) error {
		v, err := strconv.Atoi(raw)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", raw)
		}
		if i.Max > i.Min && (v < i.Min || v > i.Max) {
			return fmt.Errorf("%d is out of range; use a value from %d to %d", v, i.Min, i.Max)
		}
		*p = v
		return nil
	})
}

// Duration declares a duration input stored in p: a Go duration ("90s", "10m", "1h30m") or a
// whole number of seconds. Negative durations are refused.
func (in *Inputs) Duration(p *time.Duration, i Input) {
	in.add(KindDuration, i, func(raw string, _ environment) error {
		v, err := ParseDuration(raw)
		*p = v
		return err
	})
}

// Enum declares an input whose value must be one of i.Values, stored in p.
func (in *Inputs) Enum(p *string, i Input) {
	if len(i.Values) == 0 {
		panic(fmt.Sprintf("action: enum input %q has no values", i.Name))
	}
	in.add(KindEnum, i, func(raw string, _ environment) error {
		if !slices.Contains(i.Values, raw) {
			return fmt.Errorf("%q is not valid; use one of %s", raw, strings.Join(i.Values, ", "))
		}
		*p = raw
		return nil
	})
}

// List declares a list input stored in p: items separated by commas or newlines, trimmed, empty
// items dropped. A flag given several times adds its items to the list.
func (in *Inputs) List(p *[]string, i Input) {
	in.add(KindList, i, func(raw string, _ environment) error {
		*p = SplitList(raw)
		return nil
	})
}

// Path declares a file path input stored in p as an absolute, clean path that must lie inside the
// workspace (GITHUB_WORKSPACE, or the current directory when run locally). Relative paths are taken
// from the workspace.
func (in *Inputs) Path(p *string, i Input) {
	in.add(KindPath, i, func(raw string, env environment) error {
		v, err := resolvePath(raw, env.workspace, i.MustExist)
		*p = v
		return err
	})
}

// PathList declares a list of paths (as List), each resolved and checked as Path.
func (in *Inputs) PathList(p *[]string, i Input) {
	in.add(KindPathList, i, func(raw string, env environment) error {
		var out []string
		var errs []string
		for _, item := range SplitList(raw) {
			v, err := resolvePath(item, env.workspace, i.MustExist)
			if err != nil {
				errs = append(errs, err.Error())
				continue
			}
			out = append(out, v)
		}
		*p = out
		if len(errs) > 0 {
			return fmt.Errorf("%s", strings.Join(errs, "; "))
		}
		return nil
	})
}

// SplitList splits a comma- or newline-separated list, trimming items and dropping empty ones.
func SplitList(raw string) []string {
	fields := strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' })
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseBool(raw string) (bool, error) {
	switch raw {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean; use true or false", raw)
}

// ParseDuration parses a duration as duration inputs take it: a Go duration ("90s", "10m",
// "1h30m") or a whole number of seconds; negative durations are refused.
func ParseDuration(raw string) (time.Duration, error) {
	if secs, err := strconv.Atoi(raw); err == nil {
		if secs < 0 {
			return 0, fmt.Errorf("%q is negative; use a duration such as 90s or 10m", raw)
		}
		return time.Duration(secs) * time.Second, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration; use a number with a unit such as 90s, 10m or 1h30m", raw)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative; use a duration such as 90s or 10m", raw)
	}
	return d, nil
}

func resolvePath(raw, workspace string, mustExist bool) (string, error) {
	root := confine.Root{Dir: workspace, Name: "the workspace", Hint: "use a path inside the repository checkout"}
	p, err := root.Resolve(raw)
	if err != nil {
		return "", err
	}
	if mustExist {
		if _, err := os.Lstat(p); err != nil {
			return "", fmt.Errorf("%q does not exist in the workspace %s; check the path, and that the repository is checked out (actions/checkout) before this step", raw, workspace)
		}
	}
	return p, nil
}
