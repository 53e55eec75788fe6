package promote_test

import (
	"os"
	"testing"

	"github.com/twittix/infra/internal/iamcheck"
)

// TestMain checks, after the tests, that every Google API method they called is listed in
// internal/iamcheck.Methods["promote"], from which the permission test derives the IAM
// permissions the promote action needs.
func TestMain(m *testing.M) {
	os.Exit(iamcheck.Main(m, "promote"))
}
