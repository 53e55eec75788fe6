// Package subst handles Cloud Build substitutions on the client side: it parses the
// `substitutions` input (_KEY=value lines), fills the built-in values Cloud Build sets for
// triggers (COMMIT_SHA, SHORT_SHA, BRANCH_NAME, TAG_NAME, REPO_NAME, REF_NAME, ...) from the
// GitHub context, and checks a build the way the Cloud Build service does before it runs, so that
// unknown or unused substitutions are reported, all at once and with the service's own words,
// before anything is uploaded. Apply performs the substitution itself (the in-process fake of Cloud
// Build uses it, as the service would).
//
// The template syntax is Cloud Build's: $KEY or ${KEY} with KEY matching [A-Z_][A-Z0-9_]*, and $$
// for a literal dollar sign. User keys match ^_[A-Z0-9_]+$.
package subst
