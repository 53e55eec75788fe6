package iamcheck

import (
	"fmt"
	"os"
	"testing"

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

// Main runs the tests of m, then, when they passed, CheckCalled(action), and returns the exit
// code: an action's tests call it from TestMain as os.Exit(iamcheck.Main(m, "promote")).
func Main(m *testing.M, action string) int {
	code := m.Run()
	if code == 0 {
		if err := CheckCalled(action); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL:", err)
			return 1
		}
	}
	return code
}
