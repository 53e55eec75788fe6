package field

import (
	"reflect"
	"strings"
)

// Rename returns err with every *Error inside it, alone, joined (errors.Join) or wrapped (%w),
// naming its field and the fields its message mentions by names: a table from the fields to the
// names a caller's users know them by (an action's inputs). A field names does not list keeps its
// name. The errors around a renamed *Error keep their messages, with the renamed one in place of
// the original, and errors.As still finds them; an error with no *Error inside is returned as it
// is.
func Rename(err error, names map[Name]string) error {
	switch e := err.(type) {
	case nil:
		return nil
	case *Error:
		return e.renamed(names)
	case interface{ Unwrap() []error }:
		olds := e.Unwrap()
		news := make([]error, len(olds))
		changed := false
		for i, old := range olds {
			news[i] = Rename(old, names)
			changed = changed || news[i] != old
		}
		if !changed {
			return err
		}
		return &joined{wrapped{msg: replaced(err.Error(), olds, news), orig: err}, news}
	case interface{ Unwrap() error }:
		old := e.Unwrap()
		renamed := Rename(old, names)
		if renamed == old {
			return err
		}
		return &wrapping{wrapped{msg: replaced(err.Error(), []error{old}, []error{renamed}), orig: err}, renamed}
	}
	return err
}

// replaced returns msg with the messages of olds, in turn, replaced by those of news.
func replaced(msg string, olds, news []error) string {
	var b strings.Builder
	for i, old := range olds {
		if old == nil || news[i] == old {
			continue
		}
		o := old.Error()
		at := strings.Index(msg, o)
		if at < 0 {
			continue
		}
		b.WriteString(msg[:at])
		b.WriteString(news[i].Error())
		msg = msg[at+len(o):]
	}
	b.WriteString(msg)
	return b.String()
}

// wrapped is an error around renamed errors: orig's message with theirs replaced. errors.Is and
// errors.As find orig itself, and the renamed errors it wraps.
type wrapped struct {
	msg  string
	orig error
}

func (w *wrapped) Error() string { return w.msg }

// Is reports whether target is the original error.
func (w *wrapped) Is(target error) bool {
	return reflect.TypeOf(w.orig).Comparable() && w.orig == target
}

// As sets target to the original error when it has target's type.
func (w *wrapped) As(target any) bool {
	v := reflect.ValueOf(target)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return false
	}
	if reflect.TypeOf(w.orig).AssignableTo(v.Elem().Type()) {
		v.Elem().Set(reflect.ValueOf(w.orig))
		return true
	}
	return false
}

// wrapping is a renamed %w wrap: one error inside.
type wrapping struct {
	wrapped
	err error
}

func (w *wrapping) Unwrap() error { return w.err }

// joined is a renamed errors.Join, or a wrap of several errors.
type joined struct {
	wrapped
	errs []error
}

func (j *joined) Unwrap() []error { return j.errs }
