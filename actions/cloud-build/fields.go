package cloudbuild

import (
	"errors"

	cb "github.com/twittix/infra/pkg/cloudbuild"
	"github.com/twittix/infra/pkg/field"
)

// inputOf names the fields of a build request after the inputs that set them: the one table of
// the action from the domain's fields to its inputs.
var inputOf = map[field.Name]string{
	cb.FieldProject:        "project",
	cb.FieldRegion:         "region",
	cb.FieldDir:            "source",
	cb.FieldImage:          "image",
	cb.FieldConfig:         "config",
	cb.FieldSubstitutions:  "substitutions",
	cb.FieldWorkerPool:     "worker_pool",
	cb.FieldServiceAccount: "service_account",
	cb.FieldMachineType:    "machine_type",
	cb.FieldTimeout:        "timeout",
	cb.FieldLogsBucket:     "logs_bucket",
	cb.FieldLogging:        "logging",
	cb.FieldTags:           "tags",
	cb.FieldStagingDir:     "staging_dir",
}

// inputName returns the input that sets field f.
func inputName(f field.Name) string {
	if name, ok := inputOf[f]; ok {
		return name
	}
	return string(f)
}

// inputError is a *cb.BuildError told in terms of the action's inputs.
type inputError struct {
	msg string
	err error
}

func (e *inputError) Error() string { return e.msg }
func (e *inputError) Unwrap() error { return e.err }

// namedAfterInputs returns err with its *field.Error values (alone, joined or wrapped) and
// *cb.BuildError naming the action's inputs instead of the request's fields.
func namedAfterInputs(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var parts []error
		for _, e := range j.Unwrap() {
			parts = append(parts, namedAfterInputs(e))
		}
		return errors.Join(parts...)
	}
	if e, ok := err.(*cb.BuildError); ok {
		return &inputError{msg: e.Message(inputName), err: e}
	}
	return field.Rename(err, inputOf)
}
