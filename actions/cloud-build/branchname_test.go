package cloudbuild_test

import (
	"strings"
	"testing"

	"github.com/twittix/infra/internal/testenv/fakecloudbuild"
)

// TestWarnsOfBranchNameInAShellScript checks the action warns, and still builds, when a config
// inlines $BRANCH_NAME in a shell script (a pull request's author names the branch), and does not
// when the config passes it through the step's env as the README says.
func TestWarnsOfBranchNameInAShellScript(t *testing.T) {
	t.Parallel()
	fake := fakecloudbuild.Start(t, fakecloudbuild.Options{})
	ws := workspace(t, map[string]string{
		"inline.yaml": "steps:\n- name: ubuntu\n  entrypoint: bash\n  args: ['-c', 'echo building $BRANCH_NAME']\n",
		"env.yaml":    "steps:\n- name: ubuntu\n  entrypoint: bash\n  env: ['BRANCH=$BRANCH_NAME']\n  args: ['-c', 'echo \"building $$BRANCH\"']\n",
	})
	const warning = "::warning::config: steps[0].args[1] inlines $BRANCH_NAME in a shell script"
	for _, tc := range []struct {
		config string
		warns  bool
	}{{"inline.yaml", true}, {"env.yaml", false}} {
		r := runAction(t, fake, ws, map[string]string{"config": tc.config})
		if r.code != 0 {
			t.Fatalf("%s: exit code %d\n%s", tc.config, r.code, r.log)
		}
		if got := strings.Contains(r.log, warning); got != tc.warns {
			t.Errorf("%s: warned=%v, want %v; log:\n%s", tc.config, got, tc.warns, r.log)
		}
		if tc.warns && !strings.Contains(r.log, "building main") {
			t.Errorf("%s: Cloud Build did not substitute BRANCH_NAME=main into the script; log:\n%s", tc.config, r.log)
		}
	}
}
