package stackfile

import "fmt"

// FileError is an input error located in a file: a compose file or an env file. File is the path
// as given by the caller; Line (1-based) and Column are zero when unknown. The action turns it into
// an `::error file=...,line=...::` annotation.
type FileError struct {
	File   string
	Line   int
	Column int
	Err    error
}

// Error formats the error as "file:line: message", or "line 3: message" without a file.
func (e *FileError) Error() string {
	switch {
	case e.Line > 0 && e.File == "":
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	case e.File != "":
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	default:
		return e.Err.Error()
	}
}

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

// FileErrors returns every FileError in the tree of err (joined and wrapped errors included),
// in order, so that each can become its own annotation.
func FileErrors(err error) []*FileError {
	var out []*FileError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if fe, ok := err.(*FileError); ok {
			out = append(out, fe)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}
