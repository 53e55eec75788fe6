package cloudbuild_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	cloudbuild "github.com/twittix/infra/actions/cloud-build"
	cb "github.com/twittix/infra/pkg/cloudbuild"
)

// TestREADMEDocumentsEveryInput checks README.md has a row for each input and output the code
// declares (action.yml is checked against the code by internal/repotest).
func TestREADMEDocumentsEveryInput(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	in := cloudbuild.Command.Declare()
	for _, i := range in.Inputs() {
		if !strings.Contains(string(readme), "| `"+i.Name+"` |") {
			t.Errorf("README.md does not document the input %s", i.Name)
		}
	}
	for _, o := range in.Outputs() {
		if !strings.Contains(string(readme), "| `"+o.Name+"` |") {
			t.Errorf("README.md does not document the output %s", o.Name)
		}
	}
}

// TestTagExamplesAreValid checks the tags the README and action.yml show are valid build tags
// whatever the run: an expression that may hold a '/' (a branch such as feature/x) is not.
func TestTagExamplesAreValid(t *testing.T) {
	t.Parallel()
	expr := regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)
	mayHoldSlash := map[string]bool{"github.ref_name": true, "github.ref": true, "github.head_ref": true, "github.base_ref": true, "github.repository": true}
	line := regexp.MustCompile("(?m)^[\\s`]*(?:Example: `)?tags: (.*?)`?$")
	for _, file := range []string{"README.md", "action.yml"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		matches := line.FindAllStringSubmatch(string(b), -1)
		if len(matches) == 0 {
			t.Errorf("%s: no tags example found", file)
		}
		for _, m := range matches {
			value := expr.ReplaceAllStringFunc(m[1], func(e string) string {
				if mayHoldSlash[expr.FindStringSubmatch(e)[1]] {
					return "feature/x"
				}
				return "value"
			})
			var tags []string
			for _, tag := range strings.Split(value, ",") {
				tags = append(tags, strings.TrimSpace(tag))
			}
			r := cb.Request{Project: "my-project", Image: "gcr.io/my-project/api", Tags: tags}
			if err := r.Validate(); err != nil {
				t.Errorf("%s: the example `tags: %s` gives invalid tags for a branch such as feature/x: %v", file, m[1], err)
			}
		}
	}
}
