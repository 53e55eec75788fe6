package iamcheck

import (
	"fmt"

	"github.com/twittix/infra/internal/testenv/apicalls"
)

// CheckCalled returns an error when the tests of action called a Google API method that
// Methods[action] does not list. Call it from the action's TestMain after m.Run.
func CheckCalled(action string) error {
	calls, ok := Methods[action]
	if !ok {
		return fmt.Errorf("internal/iamcheck: no method list for action %q", action)
	}
	methods := make([]string, len(calls))
	for i, c := range calls {
		methods[i] = c.Method
	}
	return apicalls.Check(methods, fmt.Sprintf("internal/iamcheck.Methods[%q]", action))
}
