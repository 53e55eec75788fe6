package swarm

import (
	"encoding/json"
	"testing"
)

// ServiceOutput is a service of a Result as the action's services output shows it: the tests
// compare the services of a run through it.
type ServiceOutput struct {
	Name     string
	Image    string
	Replicas string
	State    string
}

// resultJSON returns every value of res, as JSON: what the action's outputs and summary are
// rendered from, for the tests that check a secret never reaches them.
func resultJSON(t *testing.T, res *Result) string {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
