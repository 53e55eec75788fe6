package cloudbuild_test

import (
	"os"
	"strings"
	"testing"

	cloudbuild "github.com/twittix/infra/actions/cloud-build"
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
