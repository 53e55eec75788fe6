package subst

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Limits of the Cloud Build API.
const (
	MaxSubstitutions = 100
	MaxKeyLength     = 100
	MaxValueLength   = 4000
)

// UserKeyRE is the format of user-defined substitution keys.
var UserKeyRE = regexp.MustCompile(`^_[A-Z0-9_]+$`)

// builtins are Cloud Build's built-in substitutions; true for those a build request may set (the
// ones Cloud Build fills for triggers from the source), false for those only Cloud Build sets.
var builtins = map[string]bool{
	"PROJECT_ID":                false,
	"PROJECT_NUMBER":            false,
	"BUILD_ID":                  false,
	"LOCATION":                  false,
	"TRIGGER_NAME":              false,
	"TRIGGER_BUILD_CONFIG_PATH": false,
	"SERVICE_ACCOUNT_EMAIL":     false,
	"SERVICE_ACCOUNT":           false,
	"REPO_NAME":                 true,
	"REPO_FULL_NAME":            true,
	"BRANCH_NAME":               true,
	"TAG_NAME":                  true,
	"REF_NAME":                  true,
	"REVISION_ID":               true,
	"COMMIT_SHA":                true,
	"SHORT_SHA":                 true,
}

// IsBuiltin reports whether key is a built-in substitution of Cloud Build.
func IsBuiltin(key string) bool {
	_, ok := builtins[key]
	return ok
}

// IsOverridable reports whether a build request may give a value for the built-in key.
func IsOverridable(key string) bool { return builtins[key] }

// CheckKey reports whether key may appear in a build's substitutions, in Cloud Build's words.
func CheckKey(key string) error {
	if len(key) > MaxKeyLength {
		return fmt.Errorf("substitution key %q too long (max: %d)", key, MaxKeyLength)
	}
	if !UserKeyRE.MatchString(key) && !IsOverridable(key) {
		return fmt.Errorf("substitution key %q does not respect format %q and is not an overridable built-in substitutions", key, UserKeyRE)
	}
	return nil
}

// Parse reads `_KEY=value` lines (the substitutions input). Blank lines and lines starting with
// "#" are skipped; the value is everything after the first "=", spaces kept except around the
// line. Every problem is reported, each with its line number.
func Parse(text string) (map[string]string, error) {
	subs := map[string]string{}
	lineOf := map[string]int{}
	var errs []error
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("line %d: %q is not KEY=value; write one _KEY=value per line", n, clip(line)))
			continue
		case key == "":
			errs = append(errs, fmt.Errorf("line %d: the key is empty; write one _KEY=value per line", n))
			continue
		}
		if err := CheckKey(key); err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w; user keys start with an underscore followed by upper-case letters, digits and underscores (for example _IMAGE_TAG)", n, err))
			continue
		}
		if len(value) > MaxValueLength {
			errs = append(errs, fmt.Errorf("line %d: the value of %s is %d characters long (max: %d)", n, key, len(value), MaxValueLength))
			continue
		}
		if first, dup := lineOf[key]; dup {
			errs = append(errs, fmt.Errorf("line %d: %s is already set on line %d", n, key, first))
			continue
		}
		lineOf[key] = n
		subs[key] = value
	}
	if len(subs) > MaxSubstitutions {
		errs = append(errs, fmt.Errorf("%d substitutions given (max: %d)", len(subs), MaxSubstitutions))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return subs, nil
}

// clip shortens a line quoted in an error.
func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// GitHub holds the values of the GitHub context the built-in substitutions are taken from.
type GitHub struct {
	SHA        string // GITHUB_SHA
	RefName    string // GITHUB_REF_NAME: the branch or tag name
	RefType    string // GITHUB_REF_TYPE: "branch" or "tag"
	HeadRef    string // GITHUB_HEAD_REF: the source branch of a pull request
	Repository string // GITHUB_REPOSITORY: owner/name
}

// Builtins returns the values Cloud Build would fill for a trigger on this commit: COMMIT_SHA,
// REVISION_ID, SHORT_SHA (7 characters), BRANCH_NAME (the source branch of a pull request, else the
// branch pushed), TAG_NAME, REF_NAME, REPO_NAME and REPO_FULL_NAME. Empty values are left out.
func (g GitHub) Builtins() map[string]string {
	m := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set("COMMIT_SHA", g.SHA)
	set("REVISION_ID", g.SHA)
	set("SHORT_SHA", g.SHA[:min(7, len(g.SHA))])
	switch {
	case g.HeadRef != "":
		set("BRANCH_NAME", g.HeadRef)
	case g.RefType == "branch":
		set("BRANCH_NAME", g.RefName)
	}
	if g.RefType == "tag" {
		set("TAG_NAME", g.RefName)
	}
	set("REF_NAME", g.RefName)
	set("REPO_FULL_NAME", g.Repository)
	if _, name, ok := strings.Cut(g.Repository, "/"); ok {
		set("REPO_NAME", name)
	} else {
		set("REPO_NAME", g.Repository)
	}
	return m
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
