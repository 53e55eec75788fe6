// Package golden compares a test's output with a golden file in testdata/, and rewrites the file
// when the test runs with -update.
//
// A test package that uses it gets the -update flag from it and must not declare one of its own.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata with what the tests produce")

// Check compares got with the file at path (relative to the test's package directory, usually
// under testdata/) and reports their difference as an error of t. With -update it first writes
// got to path, creating its directory.
func Check(t testing.TB, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); run go test -update to rewrite it if the change is intended:\n%s", path, diff)
	}
}
