package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// unknownComputed marks the top-level computed attributes that the configuration leaves null
// as unknown, as a provider planning a create does.
func unknownComputed(b *tfprotov5.SchemaBlock, v tftypes.Value) (tftypes.Value, error) {
	var fields map[string]tftypes.Value
	if err := v.As(&fields); err != nil {
		return v, fmt.Errorf("planned state is not an object: %w", err)
	}
	for _, a := range b.Attributes {
		if f, ok := fields[a.Name]; ok && a.Computed && f.IsNull() {
			fields[a.Name] = tftypes.NewValue(a.Type, tftypes.UnknownValue)
		}
	}
	return tftypes.NewValue(v.Type(), fields), nil
}

func unknownType(kind, name string) []*tfprotov5.Diagnostic {
	return []*tfprotov5.Diagnostic{{
		Severity: tfprotov5.DiagnosticSeverityError,
		Summary:  "Unknown " + kind + " type",
		Detail:   fmt.Sprintf("The hashicorp/google 6.50.0 schema has no %s %q.", kind, name),
	}}
}

func schemaOnly(what string) []*tfprotov5.Diagnostic {
	return []*tfprotov5.Diagnostic{{
		Severity: tfprotov5.DiagnosticSeverityError,
		Summary:  "Not supported by the schema-only provider",
		Detail:   "This google provider only serves the 6.50.0 schema for terraform validate and terraform test with mock_provider; it cannot " + what + ". Use the real hashicorp/google provider.",
	}}
}

func errorDiag(summary string, err error) []*tfprotov5.Diagnostic {
	return []*tfprotov5.Diagnostic{{Severity: tfprotov5.DiagnosticSeverityError, Summary: summary, Detail: err.Error()}}
}
