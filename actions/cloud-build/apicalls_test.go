package cloudbuild_test

import (
	"os"
	"testing"

	"github.com/twittix/infra/internal/iamcheck"
)

// TestMain checks, after the tests, that every Google API method they called is listed in
// internal/iamcheck.Methods["cloud-build"], from which the permission test derives the IAM
// permissions the cloud-build action needs.
func TestMain(m *testing.M) {
	os.Exit(iamcheck.Main(m, "cloud-build"))
}
