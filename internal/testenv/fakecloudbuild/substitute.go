package fakecloudbuild

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
)

// The substitution rules of Cloud Build, written here apart from the client's own
// (pkg/cloudbuild/subst) so that a mistake in either shows as a disagreement in tests. From
// https://cloud.google.com/build/docs/configuring-builds/substitute-variable-values:
//   - $KEY and ${KEY} are replaced by the value of KEY, "" when it has none; $$ is a literal $;
//     a $ followed by anything else is literal;
//   - user keys are an underscore followed by upper-case letters, digits and underscores; the
//     built-ins (PROJECT_ID, BUILD_ID, ...) are filled by the service, and those it fills for
//     triggers from the source (COMMIT_SHA, BRANCH_NAME, ...) may be given by the request;
//   - a user key used but not given, or given but not used, makes the build invalid unless
//     options.substitutionOption is ALLOW_LOOSE (a key given but not used is fine when
//     substitutions are automapped to the steps' environment);
//   - with options.dynamicSubstitutions the service evaluates bash-style expressions itself: only
//     the keys are checked here.

// paramRE matches, leftmost first, the escape $$, then ${KEY}, then $KEY.
var paramRE = regexp.MustCompile(`\$\$|\$\{([A-Z_][A-Z0-9_]*)\}|\$([A-Z_][A-Z0-9_]*)`)

// userKeyRE is the format of user substitution keys.
var userKeyRE = regexp.MustCompile(`^_[A-Z0-9_]+$`)

// builtinKeys are Cloud Build's built-in substitutions: true for those a request may give.
var builtinKeys = map[string]bool{
	"PROJECT_ID": false, "PROJECT_NUMBER": false, "BUILD_ID": false, "LOCATION": false,
	"TRIGGER_NAME": false, "TRIGGER_BUILD_CONFIG_PATH": false, "SERVICE_ACCOUNT_EMAIL": false, "SERVICE_ACCOUNT": false,
	"COMMIT_SHA": true, "REVISION_ID": true, "SHORT_SHA": true, "REPO_NAME": true, "REPO_FULL_NAME": true,
	"BRANCH_NAME": true, "TAG_NAME": true, "REF_NAME": true,
}

// Limits of the service on substitutions.
const (
	maxSubstitutions = 100
	maxKeyLength     = 100
	maxValueLength   = 4000
)

// substitute returns s with its parameters replaced by their values.
func substitute(s string, values map[string]string) string {
	return paramRE.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		return values[strings.Trim(m, "${}")]
	})
}

// templateKeys returns the keys s refers to, in order, repeats included.
func templateKeys(s string) []string {
	var keys []string
	for _, m := range paramRE.FindAllStringSubmatch(s, -1) {
		if k := m[1] + m[2]; k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// templated calls fn with each string field of b that the service substitutes: the steps' name,
// args, env, dir, entrypoint and script; images and tags; the artifacts' location and paths; the
// logs bucket, the service account, options.env, the pool's name and the secrets' versions.
func templated(b *cloudbuildpb.Build, fn func(*string)) {
	for _, st := range b.GetSteps() {
		fn(&st.Name)
		eachOf(st.Args, fn)
		eachOf(st.Env, fn)
		fn(&st.Dir)
		fn(&st.Entrypoint)
		fn(&st.Script)
	}
	eachOf(b.Images, fn)
	eachOf(b.Tags, fn)
	if o := b.GetArtifacts().GetObjects(); o != nil {
		fn(&o.Location)
		eachOf(o.Paths, fn)
	}
	fn(&b.LogsBucket)
	fn(&b.ServiceAccount)
	if o := b.GetOptions(); o != nil {
		eachOf(o.Env, fn)
		if o.Pool != nil {
			fn(&o.Pool.Name)
		}
	}
	for _, s := range b.GetAvailableSecrets().GetSecretManager() {
		fn(&s.VersionName)
	}
}

func eachOf(ss []string, fn func(*string)) {
	for i := range ss {
		fn(&ss[i])
	}
}

// substituteBuild replaces the parameters of b's templated fields with values, in place.
func substituteBuild(b *cloudbuildpb.Build, values map[string]string) {
	templated(b, func(s *string) { *s = substitute(*s, values) })
}

// checkSubstitutions returns the problems of b's substitutions as the service words them: errors
// make the build invalid, loose problems unless it allows loose substitutions.
func checkSubstitutions(b *cloudbuildpb.Build) (errs, loose []string) {
	subs := b.GetSubstitutions()
	given := slices.Sorted(maps.Keys(subs))
	if len(subs) > maxSubstitutions {
		errs = append(errs, fmt.Sprintf("number of substitutions %d exceeded (max: %d)", len(subs), maxSubstitutions))
	}
	for _, k := range given {
		switch {
		case len(k) > maxKeyLength:
			errs = append(errs, fmt.Sprintf("invalid .substitutions field: substitution key %q too long (max: %d)", k, maxKeyLength))
		case !userKeyRE.MatchString(k) && !builtinKeys[k]:
			errs = append(errs, fmt.Sprintf("invalid .substitutions field: substitution key %q does not respect format %q and is not an overridable built-in substitutions", k, userKeyRE))
		}
		if len(subs[k]) > maxValueLength {
			errs = append(errs, fmt.Sprintf("invalid .substitutions field: substitution value of %q too long (max: %d)", k, maxValueLength))
		}
	}
	if b.GetOptions().GetDynamicSubstitutions() {
		return errs, nil
	}
	used := map[string]bool{}
	templated(b, func(s *string) {
		for _, k := range templateKeys(*s) {
			used[k] = true
		}
	})
	var invalid, undefined []string
	for _, k := range slices.Sorted(maps.Keys(used)) {
		_, isGiven := subs[k]
		_, isBuiltin := builtinKeys[k]
		switch {
		case isGiven:
		case userKeyRE.MatchString(k):
			undefined = append(undefined, k)
		case !isBuiltin:
			invalid = append(invalid, k)
		}
	}
	for _, k := range invalid {
		errs = append(errs, fmt.Sprintf("key in the template %q is not a valid built-in substitution", k))
	}
	for _, k := range undefined {
		loose = append(loose, fmt.Sprintf("key in the template %q is not matched in the substitution data; substitutions = %v", k, subs))
	}
	if !automapped(b) {
		for _, k := range given {
			if !used[k] {
				loose = append(loose, fmt.Sprintf("key %q in the substitution data is not matched in the template", k))
			}
		}
	}
	return errs, loose
}

// automapped reports whether the substitutions are given to steps as environment variables.
func automapped(b *cloudbuildpb.Build) bool {
	return b.GetOptions().GetAutomapSubstitutions() ||
		slices.ContainsFunc(b.GetSteps(), func(st *cloudbuildpb.BuildStep) bool { return st.GetAutomapSubstitutions() })
}
