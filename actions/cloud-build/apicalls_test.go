package cloudbuild_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/twittix/infra/internal/iamcheck"
)

// TestMain checks, after the tests, that every Google API method they called is listed in
// internal/iamcheck.Methods["cloud-build"], from which the permission test derives the IAM
// permissions the cloud-build action needs.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := iamcheck.CheckCalled("cloud-build"); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL:", err)
			code = 1
		}
	}
	os.Exit(code)
}
