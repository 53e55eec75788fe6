package field_test

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/twittix/infra/pkg/field"
)

const (
	image  field.Name = "Image"
	config field.Name = "Config"
	tags   field.Name = "Tags"
)

var inputs = map[field.Name]string{image: "image", config: "config"}

// buildError is an error of a domain package that wraps a field error, for errors.As.
type buildError struct{ err error }

func (e *buildError) Error() string { return "build refused: " + e.err.Error() }
func (e *buildError) Unwrap() error { return e.err }

func TestRename(t *testing.T) {
	t.Parallel()
	exclusive := func() error {
		return field.Errorf(image, "%s and %s are mutually exclusive: %[1]s builds a Dockerfile", image, config)
	}
	for _, tc := range []struct {
		name       string
		err        error
		want, wasn string
	}{
		{name: "alone", err: exclusive(),
			want: "image: image and config are mutually exclusive: image builds a Dockerfile",
			wasn: "Image: Image and Config are mutually exclusive: Image builds a Dockerfile"},
		{name: "a field the table does not list keeps its name", err: field.Errorf(tags, "%q is not a tag: set %s", "a b", image),
			want: `Tags: "a b" is not a tag: set image`, wasn: `Tags: "a b" is not a tag: set Image`},
		{name: "joined", err: errors.Join(exclusive(), errors.New("other"), field.Errorf(config, "no such file")),
			want: "image: image and config are mutually exclusive: image builds a Dockerfile\nother\nconfig: no such file",
			wasn: "Image: Image and Config are mutually exclusive: Image builds a Dockerfile\nother\nConfig: no such file"},
		{name: "wrapped", err: fmt.Errorf("prepare: %w (retry)", exclusive()),
			want: "prepare: image: image and config are mutually exclusive: image builds a Dockerfile (retry)",
			wasn: "prepare: Image: Image and Config are mutually exclusive: Image builds a Dockerfile (retry)"},
		{name: "joined in a wrap in a join", err: errors.Join(errors.New("first"), &buildError{errors.Join(field.Errorf(image, "bad"), field.Errorf(config, "see %s", image))}),
			want: "first\nbuild refused: image: bad\nconfig: see image",
			wasn: "first\nbuild refused: Image: bad\nConfig: see Image"},
		{name: "a string that is no Name is left alone", err: field.Errorf(image, "%s is not %s", "Image", config),
			want: "image: Image is not config", wasn: "Image: Image is not Config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := field.Rename(tc.err, inputs)
			if got.Error() != tc.want {
				t.Errorf("Rename().Error() = %q, want %q", got.Error(), tc.want)
			}
			if tc.err.Error() != tc.wasn {
				t.Errorf("the original error became %q, want %q", tc.err.Error(), tc.wasn)
			}
			var fe *field.Error
			if !errors.As(got, &fe) {
				t.Errorf("errors.As(%v) finds no *field.Error", got)
			}
		})
	}
}

func TestRenameKeepsWhatWrapsAndIsWrapped(t *testing.T) {
	t.Parallel()
	orig := &buildError{field.Errorf(config, "cannot read it: %w", fs.ErrNotExist)}
	got := field.Rename(orig, inputs)
	if want := "build refused: config: cannot read it: file does not exist"; got.Error() != want {
		t.Errorf("Rename() = %q, want %q", got, want)
	}
	var be *buildError
	if !errors.As(got, &be) || be != orig {
		t.Errorf("errors.As(*buildError) = %v, want the original", be)
	}
	if !errors.Is(got, orig) {
		t.Error("errors.Is(renamed, original) = false")
	}
	if !errors.Is(got, fs.ErrNotExist) {
		t.Error("the cause of the field error is lost")
	}
	var fe *field.Error
	if !errors.As(got, &fe) || fe.Field != "config" || fe.Problem() != "cannot read it: file does not exist" {
		t.Errorf("the *field.Error inside = %+v, want the renamed one", fe)
	}
}

func TestRenameLeavesOtherErrors(t *testing.T) {
	t.Parallel()
	plain := errors.New("plain")
	for _, err := range []error{nil, plain, fmt.Errorf("wrap: %w", plain), errors.Join(plain, plain)} {
		if got := field.Rename(err, inputs); got != err {
			t.Errorf("Rename(%v) = %v, want it unchanged", err, got)
		}
	}
}

func TestError(t *testing.T) {
	t.Parallel()
	cause := errors.New("no such host")
	for _, tc := range []struct {
		name         string
		err          *field.Error
		msg, problem string
		cause        error
		missing      bool
	}{
		{name: "Errorf", err: field.Errorf(image, "must be a registry path, e.g. %s", "gcr.io/p/api"),
			msg: "Image: must be a registry path, e.g. gcr.io/p/api", problem: "must be a registry path, e.g. gcr.io/p/api"},
		{name: "Errorf with a cause", err: field.Errorf(image, "cannot resolve it: %v", cause),
			msg: "Image: cannot resolve it: no such host", problem: "cannot resolve it: no such host", cause: cause},
		{name: "Missingf", err: field.Missingf(config, "is required: set %s or %s", image, config),
			msg: "Config: is required: set Image or Config", problem: "is required: set Image or Config", missing: true},
		{name: "Wrap", err: field.Wrap(tags, cause), msg: "Tags: no such host", problem: "no such host", cause: cause},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.err.Error(); got != tc.msg {
				t.Errorf("Error() = %q, want %q", got, tc.msg)
			}
			if got := tc.err.Problem(); got != tc.problem {
				t.Errorf("Problem() = %q, want %q", got, tc.problem)
			}
			if got := tc.err.Unwrap(); got != tc.cause {
				t.Errorf("Unwrap() = %v, want %v", got, tc.cause)
			}
			if tc.err.Missing != tc.missing {
				t.Errorf("Missing = %t, want %t", tc.err.Missing, tc.missing)
			}
			renamed := field.Rename(tc.err, inputs).(*field.Error)
			if renamed.Missing != tc.missing || renamed.Unwrap() != tc.cause {
				t.Errorf("Rename() = %+v, lost Missing or the cause", renamed)
			}
		})
	}
}
