package field

import "fmt"

// Name is the name of a field as a domain package calls it. Among the arguments of Errorf and
// Missingf, a Name is renamed by Rename like the field of the error itself.
type Name string

// Error is a problem with one field. Its message is "FIELD: problem", where the problem may name
// other fields; Rename names them all after a caller's table.
type Error struct {
	// Field is the field at fault.
	Field Name
	// Missing tells that the field is required and was left empty.
	Missing bool
	// Err is the cause of the problem, if any.
	Err error

	format string
	args   []any // the Name values among them are renamed by Rename
}

// Errorf returns the problem of field f, formatted as fmt.Errorf(format, args...) formats it.
// The first error among args is its cause.
func Errorf(f Name, format string, args ...any) *Error {
	e := &Error{Field: f, format: format, args: args}
	for _, a := range args {
		if err, ok := a.(error); ok {
			e.Err = err
			break
		}
	}
	return e
}

// Missingf is Errorf for a required field left empty.
func Missingf(f Name, format string, args ...any) *Error {
	e := Errorf(f, format, args...)
	e.Missing = true
	return e
}

// Wrap returns err as the problem of field f: its message is the problem, and err the cause.
func Wrap(f Name, err error) *Error {
	return Errorf(f, "%w", err)
}

// Problem returns the message without the field's name: what is wrong and how to fix it.
func (e *Error) Problem() string {
	return fmt.Errorf(e.format, e.args...).Error()
}

func (e *Error) Error() string { return string(e.Field) + ": " + e.Problem() }

// Unwrap returns the cause of the problem, if any.
func (e *Error) Unwrap() error { return e.Err }

// renamed returns a copy of e with its field and the fields among its arguments named by names;
// a field names does not list keeps its name.
func (e *Error) renamed(names map[Name]string) *Error {
	c := *e
	c.Field = rename(e.Field, names)
	c.args = make([]any, len(e.args))
	for i, a := range e.args {
		if n, ok := a.(Name); ok {
			a = rename(n, names)
		}
		c.args[i] = a
	}
	return &c
}

func rename(n Name, names map[Name]string) Name {
	if s, ok := names[n]; ok {
		return Name(s)
	}
	return n
}
