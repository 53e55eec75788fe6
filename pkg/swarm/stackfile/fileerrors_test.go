package stackfile

import (
	"errors"
	"fmt"
	"testing"
)

func TestFileErrorsWalksJoinedAndWrapped(t *testing.T) {
	t.Parallel()
	a := &FileError{File: "a.yml", Line: 3, Err: errors.New("x")}
	b := &FileError{File: "b.env", Err: errors.New("y")}
	err := fmt.Errorf("load: %w", errors.Join(a, fmt.Errorf("env: %w", b)))
	got := FileErrors(err)
	if len(got) != 2 || got[0] != a || got[1] != b {
		t.Errorf("FileErrors = %v, want both, in order", got)
	}
	if a.Error() != "a.yml:3: x" || b.Error() != "b.env: y" {
		t.Errorf("messages = %q, %q", a.Error(), b.Error())
	}
}
