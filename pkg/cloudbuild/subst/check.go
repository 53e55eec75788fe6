package subst

import (
	"errors"
	"fmt"
	"sort"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
)

// Report is what Cloud Build would say about the substitutions of a build.
type Report struct {
	// Errors make the build invalid whatever its options: a bad key, a value too long, a
	// template key that is neither a user key nor a built-in.
	Errors []string
	// Loose problems make the build invalid unless options.substitutionOption is ALLOW_LOOSE:
	// a user key used in the template but not given, a key given but not used.
	Loose []string
}

// Err returns the problems as one error, the loose ones included unless loose is set.
func (r Report) Err(loose bool) error {
	var errs []error
	for _, e := range r.Errors {
		errs = append(errs, errors.New(e))
	}
	if !loose {
		for _, e := range r.Loose {
			errs = append(errs, errors.New(e))
		}
	}
	return errors.Join(errs...)
}

// AllowLoose reports whether b asks Cloud Build to tolerate loose substitution problems.
func AllowLoose(b *cloudbuildpb.Build) bool {
	return b.GetOptions().GetSubstitutionOption() == cloudbuildpb.BuildOptions_ALLOW_LOOSE
}

// automapped reports whether substitutions are also given to steps as environment variables, in
// which case a key unused in the template is not an error.
func automapped(b *cloudbuildpb.Build) bool {
	if b.GetOptions().GetAutomapSubstitutions() {
		return true
	}
	for _, st := range b.GetSteps() {
		if st.GetAutomapSubstitutions() {
			return true
		}
	}
	return false
}

// Check checks the substitutions of b against its templated fields as Cloud Build does when the
// build is created. Builds with options.dynamicSubstitutions use bash-style expressions the
// service evaluates itself; only their keys are checked here.
func Check(b *cloudbuildpb.Build) Report {
	var r Report
	subs := b.GetSubstitutions()
	if len(subs) > MaxSubstitutions {
		r.Errors = append(r.Errors, fmt.Sprintf("number of substitutions %d exceeded (max: %d)", len(subs), MaxSubstitutions))
	}
	for _, k := range sortedKeys(subs) {
		if err := CheckKey(k); err != nil {
			r.Errors = append(r.Errors, "invalid .substitutions field: "+err.Error())
		}
		if len(subs[k]) > MaxValueLength {
			r.Errors = append(r.Errors, fmt.Sprintf("invalid .substitutions field: substitution value of %q too long (max: %d)", k, MaxValueLength))
		}
	}
	if b.GetOptions().GetDynamicSubstitutions() {
		return r
	}
	used := map[string]bool{}
	undefined := map[string]bool{}
	invalid := map[string]bool{}
	for _, f := range Fields(b) {
		for _, p := range Params(*f.Ptr) {
			if p.Escape() {
				continue
			}
			used[p.Key] = true
			if _, ok := subs[p.Key]; ok {
				continue
			}
			switch {
			case UserKeyRE.MatchString(p.Key):
				undefined[p.Key] = true
			case !IsBuiltin(p.Key):
				invalid[p.Key] = true
			}
		}
	}
	for _, k := range sortedSet(invalid) {
		r.Errors = append(r.Errors, fmt.Sprintf("key in the template %q is not a valid built-in substitution", k))
	}
	for _, k := range sortedSet(undefined) {
		r.Loose = append(r.Loose, fmt.Sprintf("key in the template %q is not matched in the substitution data; substitutions = %v", k, subs))
	}
	if !automapped(b) {
		for _, k := range sortedKeys(subs) {
			if !used[k] {
				r.Loose = append(r.Loose, fmt.Sprintf("key %q in the substitution data is not matched in the template", k))
			}
		}
	}
	return r
}

// WithBuiltins returns user merged with the built-in values b refers to and user does not set: the
// values Cloud Build fills for triggers, taken from the GitHub context. Built-ins b does not refer to
// are left out, since Cloud Build refuses unused substitutions.
func WithBuiltins(b *cloudbuildpb.Build, user map[string]string, gh GitHub) map[string]string {
	merged := make(map[string]string, len(user))
	for k, v := range user {
		merged[k] = v
	}
	builtins := gh.Builtins()
	for _, k := range Referenced(b) {
		if _, set := merged[k]; set || !IsOverridable(k) {
			continue
		}
		if v, ok := builtins[k]; ok {
			merged[k] = v
		}
	}
	return merged
}

func sortedSet(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
