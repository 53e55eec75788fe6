package loadtestaction

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEDocumentsEveryInput checks README.md names each input and output the code declares
// in its tables (action.yml is checked against the code by internal/repotest).
func TestREADMEDocumentsEveryInput(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	in := Command.Declare()
	for _, i := range in.Inputs() {
		if !strings.Contains(string(readme), "`"+i.Name+"`") {
			t.Errorf("README.md does not document the input %s", i.Name)
		}
	}
	for _, o := range in.Outputs() {
		if !strings.Contains(string(readme), "| `"+o.Name+"` |") {
			t.Errorf("README.md does not document the output %s", o.Name)
		}
	}
}
