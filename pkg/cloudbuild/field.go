package cloudbuild

import "fmt"

// Field names a field of a Request in the errors about it.
type Field string

// The fields of a Request that errors name.
const (
	FieldProject        Field = "Project"
	FieldRegion         Field = "Region"
	FieldDir            Field = "Dir"
	FieldImage          Field = "Image"
	FieldConfig         Field = "Config"
	FieldSubstitutions  Field = "Substitutions"
	FieldWorkerPool     Field = "WorkerPool"
	FieldServiceAccount Field = "ServiceAccount"
	FieldMachineType    Field = "MachineType"
	FieldTimeout        Field = "Timeout"
	FieldLogsBucket     Field = "LogsBucket"
	FieldLogging        Field = "Logging"
	FieldTags           Field = "Tags"
	FieldStagingDir     Field = "StagingDir"
)

// FieldError is a problem with a field of a Request. Its message names the field, and any other
// field it refers to, by the field's name; Message names them otherwise (a caller names them after
// its own inputs).
type FieldError struct {
	Field  Field
	format string
	args   []any // Field values among them are named by Message
}

// fieldError returns the problem of field f, formatted as fmt.Sprintf(format, args...) with the
// Field values among args named by the namer of Message. An error among args is the cause.
func fieldError(f Field, format string, args ...any) *FieldError {
	return &FieldError{Field: f, format: format, args: args}
}

func (e *FieldError) Error() string {
	return e.Message(func(f Field) string { return string(f) })
}

// Message formats the error as "FIELD: problem", with every field named by name.
func (e *FieldError) Message(name func(Field) string) string {
	args := make([]any, len(e.args))
	for i, a := range e.args {
		if f, ok := a.(Field); ok {
			a = name(f)
		}
		args[i] = a
	}
	return name(e.Field) + ": " + fmt.Sprintf(e.format, args...)
}

// Unwrap returns the cause of the problem, if any.
func (e *FieldError) Unwrap() error {
	for _, a := range e.args {
		if err, ok := a.(error); ok {
			return err
		}
	}
	return nil
}
