package action

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unicode"

	"github.com/sethvargo/go-githubactions"

	"github.com/twittix/infra/pkg/confine"
	"github.com/twittix/infra/pkg/logging"
)

// Runtime is the environment one command runs in: where inputs come from, where the log, outputs
// and step summary go. It implements logging.Logger. It is safe for concurrent use.
type Runtime struct {
	getenv func(string) string
	out    *redactor
	gha    *githubactions.Action // writes through the redactor

	mu           sync.Mutex
	inGroup      bool
	outputs      map[string]bool // declared outputs, nil until a command is set up
	summaryBytes int             // bytes written to the step summary so far
}

// Option configures a Runtime.
type Option func(*Runtime)

// WithGetenv sets the function environment variables are read with (os.Getenv by default).
func WithGetenv(getenv func(string) string) Option {
	return func(r *Runtime) { r.getenv = getenv }
}

// WithWriter sets where the log goes (os.Stdout by default).
func WithWriter(w io.Writer) Option {
	return func(r *Runtime) { r.out = &redactor{w: w} }
}

// NewRuntime returns a Runtime reading the process environment and writing to os.Stdout unless
// options say otherwise.
func NewRuntime(opts ...Option) *Runtime {
	r := &Runtime{getenv: os.Getenv, out: &redactor{w: os.Stdout}}
	for _, opt := range opts {
		opt(r)
	}
	r.gha = githubactions.New(githubactions.WithGetenv(r.getenv), githubactions.WithWriter(r.out))
	return r
}

// InGitHub reports whether the command runs inside GitHub Actions (GITHUB_ACTIONS=true). Outside,
// workflow commands are rendered as plain text and outputs are printed.
func (r *Runtime) InGitHub() bool {
	return r.getenv("GITHUB_ACTIONS") == "true"
}

// Getenv reads an environment variable through the Runtime's getenv. Commands use it for the
// GitHub context and well-known variables (GOOGLE_CLOUD_PROJECT...), never for inputs.
func (r *Runtime) Getenv(key string) string {
	return r.getenv(key)
}

// Workspace is GITHUB_WORKSPACE, or the current directory when it is not set.
func (r *Runtime) Workspace() string {
	if ws := r.getenv("GITHUB_WORKSPACE"); ws != "" {
		return ws
	}
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	return wd
}

// RunURL is the URL of the workflow run ("https://github.com/owner/repo/actions/runs/42/attempts/1"),
// or "" outside GitHub Actions.
func (r *Runtime) RunURL() string {
	gh := r.GitHub()
	if gh.RunID == 0 || gh.Repository == "" {
		return ""
	}
	server := gh.ServerURL
	if server == "" {
		server = "https://github.com"
	}
	url := fmt.Sprintf("%s/%s/actions/runs/%d", server, gh.Repository, gh.RunID)
	if gh.RunAttempt > 0 {
		url += fmt.Sprintf("/attempts/%d", gh.RunAttempt)
	}
	return url
}

// GitHub returns the GitHub context (commit, ref, repository, run...) from the environment.
func (r *Runtime) GitHub() *githubactions.GitHubContext {
	c, err := r.gha.Context()
	if err != nil && c == nil {
		return &githubactions.GitHubContext{}
	}
	return c
}

// Mask registers a secret: each of its non-blank lines is masked in GitHub's log (::add-mask::)
// and replaced with *** in everything this Runtime prints, outputs and summaries included.
func (r *Runtime) Mask(secret string) {
	for _, line := range secretParts(secret) {
		if r.InGitHub() {
			// Written around the redactor, which would otherwise mask the command itself.
			r.out.writeRaw((&githubactions.Command{Name: "add-mask", Message: line}).String() + "\n")
		}
		r.out.add(line)
	}
}

// Redact replaces the registered secrets in s with ***.
func (r *Runtime) Redact(s string) string {
	return r.out.redact(s)
}

// Writer returns a writer whose lines go to the log with secrets redacted, for tools that write
// their own output.
func (r *Runtime) Writer() io.Writer {
	return r.out
}

// Infof prints a line (or lines) to the log. In GitHub Actions the text goes through
// logging.Neutralize, so that text from elsewhere quoted in it (an error message from a server)
// cannot add masks, outputs or stop command processing. Blocks of remote text go through
// PrintRemote (logging.Remote) instead.
func (r *Runtime) Infof(format string, args ...any) {
	msg := strings.TrimRight(fmt.Sprintf(format, args...), "\n")
	if r.InGitHub() {
		msg = logging.Neutralize(msg)
	}
	r.print(msg + "\n")
}

// Warnf prints a warning: a warning annotation in GitHub Actions, "warning: ..." locally.
func (r *Runtime) Warnf(format string, args ...any) {
	r.Annotate(Warning, Location{}, fmt.Sprintf(format, args...))
}

// Group starts a collapsible group of log lines and returns the function that ends it. GitHub does
// not nest groups: a group opened inside another is shown as a plain heading line.
func (r *Runtime) Group(title string) func() {
	r.mu.Lock()
	nested := r.inGroup
	r.inGroup = true
	r.mu.Unlock()
	if nested {
		r.Infof("-- %s", title)
		return func() {}
	}
	if r.InGitHub() {
		r.gha.Group(title)
	} else {
		r.Infof("== %s ==", title)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			if r.InGitHub() {
				r.gha.EndGroup()
			}
			r.mu.Lock()
			r.inGroup = false
			r.mu.Unlock()
		})
	}
}

var _ logging.Logger = (*Runtime)(nil)

func (r *Runtime) print(s string) {
	_, _ = io.WriteString(r.out, s)
}

// Level is the level of an annotation.
type Level string

// Annotation levels.
const (
	Error   Level = "error"
	Warning Level = "warning"
	Notice  Level = "notice"
)

// Location is a place in a file, for annotations. File is relative to the workspace or absolute
// inside it; Line and Col are 1-based, 0 when unknown.
type Location struct {
	File      string
	Line, Col int
}

// Located is implemented by errors that know the place in a file they are about (a compose file
// line, a cloudbuild.yaml...). Main annotates that place.
type Located interface {
	Location() (file string, line, col int)
}

// Annotate prints a message as an annotation of the given level, attached to loc when it names a
// file.
func (r *Runtime) Annotate(level Level, loc Location, msg string) {
	msg = strings.TrimRight(msg, "\n")
	file := r.relToWorkspace(loc.File)
	if !r.InGitHub() {
		where := ""
		if file != "" {
			where = file
			if loc.Line > 0 {
				where += fmt.Sprintf(":%d", loc.Line)
			}
			where += ": "
		}
		r.Infof("%s: %s%s", level, where, msg)
		return
	}
	props := githubactions.CommandProperties{}
	if file != "" {
		props["file"] = file
		if loc.Line > 0 {
			props["line"] = fmt.Sprint(loc.Line)
		}
		if loc.Col > 0 {
			props["col"] = fmt.Sprint(loc.Col)
		}
	}
	r.gha.IssueCommand(&githubactions.Command{Name: string(level), Message: msg, Properties: props})
}

// ReportError annotates err as errors: one annotation per joined error, at its Location when it has
// one.
func (r *Runtime) ReportError(err error) {
	for _, e := range Flatten(err) {
		var loc Location
		var located Located
		if errors.As(e, &located) {
			loc.File, loc.Line, loc.Col = located.Location()
		}
		r.Annotate(Error, loc, e.Error())
	}
}

// Flatten splits errors joined with errors.Join (at any depth of joins) into their parts.
func Flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func (r *Runtime) relToWorkspace(file string) string {
	if file == "" || !filepath.IsAbs(file) {
		return filepath.ToSlash(file)
	}
	if rel, err := filepath.Rel(r.Workspace(), file); err == nil && confine.Within(r.Workspace(), file) {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(file)
}

// secretParts is what Mask registers for a secret: the whole value and each of its lines, trimmed
// (a program may print a multi-line key line by line). For a JSON credential (a service account
// key...), its lines are JSON syntax, not secrets: only the whole value and its secret fields
// (and their lines) are registered. Lines too short or without a letter or digit ("{", "-----")
// are never registered: masking them would garble every log and output.
func secretParts(secret string) []string {
	var parts []string
	seen := map[string]bool{}
	addOne := func(p string) {
		p = strings.TrimSpace(p)
		if p != "" && !seen[p] {
			seen[p] = true
			parts = append(parts, p)
		}
	}
	addWithLines := func(s string) {
		addOne(s)
		for _, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
			if maskableLine(line) {
				addOne(line)
			}
		}
	}
	var doc any
	if json.Unmarshal([]byte(secret), &doc) == nil {
		addOne(secret)
		for _, v := range jsonSecretFields(doc) {
			addWithLines(v)
		}
		return parts
	}
	addWithLines(secret)
	return parts
}

// maskableLine reports whether a line of a multi-line secret is worth masking on its own: long
// enough, and with a letter or a digit.
func maskableLine(line string) bool {
	line = strings.TrimSpace(line)
	return len(line) >= 4 && strings.IndexFunc(line, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}

// secretJSONFields are the fields of Google credential files (service account keys, authorized
// users, external accounts) whose values are secret on their own.
var secretJSONFields = map[string]bool{
	"private_key": true, "private_key_id": true, "client_secret": true, "refresh_token": true,
	"access_token": true, "id_token": true, "password": true, "token": true,
}

func jsonSecretFields(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && secretJSONFields[strings.ToLower(k)] {
				out = append(out, s)
				continue
			}
			out = append(out, jsonSecretFields(x)...)
		}
	case []any:
		for _, x := range v {
			out = append(out, jsonSecretFields(x)...)
		}
	}
	return out
}
