package golden

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps the failures reported to it instead of failing the test.
type recorder struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// errFatal stops check at a Fatal, as runtime.Goexit stops a test.
var errFatal = errors.New("fatal")

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
	panic(errFatal)
}

func (r *recorder) Fatal(args ...any) {
	r.Fatalf("%s", fmt.Sprint(args...))
}

// check runs Check with r, stopping where a Fatal stops it.
func (r *recorder) check(path, got string) {
	defer func() {
		if p := recover(); p != nil && p != errFatal {
			panic(p)
		}
	}()
	Check(r, path, got)
}

// TestCheck runs Check with -update off (the tests of this package never set it but in
// TestCheckUpdate, which is not parallel).
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "summary.golden.md")
	if err := os.WriteFile(path, []byte("# Deploy\nline two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		path, got string
		want      []string // substrings of the one failure; none when Check must pass
		fatal     bool
	}{
		{name: "same", path: path, got: "# Deploy\nline two\n"},
		{name: "different", path: path, got: "# Deploy\nline 2\n",
			want: []string{path + " differs (-want +got)", "line two", "line 2", "go test -update"}},
		{name: "missing", path: filepath.Join(dir, "none.golden"), got: "x",
			want: []string{"none.golden", "run go test -update to create it"}, fatal: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			r.check(tc.path, tc.got)
			if len(tc.want) == 0 {
				if len(r.errors) != 0 {
					t.Errorf("Check reported %q, want nothing", r.errors)
				}
				return
			}
			if len(r.errors) != 1 || r.fatal != tc.fatal {
				t.Fatalf("Check reported %q (fatal %v), want one failure (fatal %v)", r.errors, r.fatal, tc.fatal)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.errors[0], w) {
					t.Errorf("failure %q lacks %q", r.errors[0], w)
				}
			}
		})
	}
}

func TestCheckUpdate(t *testing.T) {
	*update = true
	t.Cleanup(func() { *update = false })
	path := filepath.Join(t.TempDir(), "testdata", "render", "new.golden")
	r := &recorder{TB: t}
	r.check(path, "fresh\n")
	if len(r.errors) != 0 {
		t.Fatalf("Check with -update reported %q, want nothing", r.errors)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "fresh\n" {
		t.Errorf("%s = %q, %v; want the output written", path, b, err)
	}
	r.check(path, "changed\n")
	if b, _ := os.ReadFile(path); string(b) != "changed\n" || len(r.errors) != 0 {
		t.Errorf("second update: file %q, failures %q; want the file rewritten and no failure", b, r.errors)
	}
}
