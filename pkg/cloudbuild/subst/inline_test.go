package subst

import (
	"strings"
	"testing"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"github.com/google/go-cmp/cmp"
)

func TestShellInlined(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		step *cloudbuildpb.BuildStep
		want []string // the fields warned about
	}{
		{"in a bash -c script", &cloudbuildpb.BuildStep{Name: "ubuntu", Entrypoint: "bash", Args: []string{"-c", "echo $BRANCH_NAME"}}, []string{"steps[0].args[1]"}},
		{"braced, with -ec", &cloudbuildpb.BuildStep{Name: "bash", Args: []string{"-ec", "git push origin ${BRANCH_NAME}"}}, []string{"steps[0].args[1]"}},
		{"sh -c as arguments; the positional parameter after the script is safe", &cloudbuildpb.BuildStep{Name: "gcr.io/cloud-builders/docker", Args: []string{"run", "alpine", "sh", "-c", "echo $BRANCH_NAME", "$BRANCH_NAME"}}, []string{"steps[0].args[4]"}},
		{"in a script", &cloudbuildpb.BuildStep{Name: "ubuntu", Script: "#!/bin/bash\necho $BRANCH_NAME\n"}, []string{"steps[0].script"}},
		{"through env", &cloudbuildpb.BuildStep{Name: "bash", Env: []string{"BRANCH=$BRANCH_NAME"}, Args: []string{"-c", `echo "$$BRANCH"`}}, nil},
		{"an escaped shell variable of that name", &cloudbuildpb.BuildStep{Name: "bash", Args: []string{"-c", "echo $$BRANCH_NAME"}}, nil},
		{"an argument, not a script", &cloudbuildpb.BuildStep{Name: "gcr.io/cloud-builders/docker", Args: []string{"build", "-t", "x:$BRANCH_NAME", "."}}, nil},
		{"another built-in", &cloudbuildpb.BuildStep{Name: "bash", Args: []string{"-c", "echo $SHORT_SHA $REF_NAME"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			warnings := ShellInlined(&cloudbuildpb.Build{Steps: []*cloudbuildpb.BuildStep{tc.step}})
			var fields []string
			for _, w := range warnings {
				field, rest, _ := strings.Cut(w, " ")
				fields = append(fields, field)
				if !strings.Contains(rest, "inlines $BRANCH_NAME in a shell script") || !strings.Contains(rest, "env: ['BRANCH=$BRANCH_NAME']") {
					t.Errorf("warning %q does not say what is wrong and how to fix it", w)
				}
			}
			if diff := cmp.Diff(tc.want, fields); diff != "" {
				t.Errorf("fields warned about (-want +got):\n%s\n%q", diff, warnings)
			}
		})
	}
}
