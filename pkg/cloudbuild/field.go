package cloudbuild

import "github.com/twittix/infra/pkg/field"

// The fields of a Request that errors name: their *field.Error values (a caller names them
// after its own inputs with field.Rename).
const (
	FieldProject        field.Name = "Project"
	FieldRegion         field.Name = "Region"
	FieldDir            field.Name = "Dir"
	FieldImage          field.Name = "Image"
	FieldConfig         field.Name = "Config"
	FieldSubstitutions  field.Name = "Substitutions"
	FieldWorkerPool     field.Name = "WorkerPool"
	FieldServiceAccount field.Name = "ServiceAccount"
	FieldMachineType    field.Name = "MachineType"
	FieldTimeout        field.Name = "Timeout"
	FieldLogsBucket     field.Name = "LogsBucket"
	FieldLogging        field.Name = "Logging"
	FieldTags           field.Name = "Tags"
	FieldStagingDir     field.Name = "StagingDir"
)
