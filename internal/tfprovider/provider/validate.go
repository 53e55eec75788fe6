package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// validateConfig checks the configuration of a resource or data source of type name.
func validateConfig(schemas map[string]*tfprotov5.Schema, kind, name string, config *tfprotov5.DynamicValue) ([]*tfprotov5.Diagnostic, error) {
	sch, ok := schemas[name]
	if !ok {
		return unknownType(kind, name), nil
	}
	cfg, err := config.Unmarshal(sch.ValueType())
	if err != nil {
		return nil, err
	}
	return readOnlySet(sch.Block, cfg, ""), nil
}

// readOnlySet reports every computed-only attribute that the configuration v of block b sets,
// as the real provider's SDK does: terraform itself accepts a value there.
func readOnlySet(b *tfprotov5.SchemaBlock, v tftypes.Value, path string) []*tfprotov5.Diagnostic {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	var fields map[string]tftypes.Value
	if err := v.As(&fields); err != nil {
		return errorDiag("Configuration is not an object", err)
	}
	var diags []*tfprotov5.Diagnostic
	for _, a := range b.Attributes {
		if f, ok := fields[a.Name]; ok && a.Computed && !a.Optional && !a.Required && !f.IsNull() {
			diags = append(diags, &tfprotov5.Diagnostic{
				Severity:  tfprotov5.DiagnosticSeverityError,
				Summary:   "Value for unconfigurable attribute",
				Detail:    fmt.Sprintf("Can't configure a value for %q: its value will be decided automatically based on the result of applying this configuration.", path+a.Name),
				Attribute: tftypes.NewAttributePath().WithAttributeName(a.Name),
			})
		}
	}
	for _, nb := range b.BlockTypes {
		f, ok := fields[nb.TypeName]
		if !ok || f.IsNull() || !f.IsKnown() {
			continue
		}
		if nb.Nesting == tfprotov5.SchemaNestedBlockNestingModeSingle || nb.Nesting == tfprotov5.SchemaNestedBlockNestingModeGroup {
			diags = append(diags, readOnlySet(nb.Block, f, path+nb.TypeName+".")...)
			continue
		}
		var elems []tftypes.Value
		if err := f.As(&elems); err != nil {
			continue // a map of blocks: the google schema has none
		}
		for _, e := range elems {
			diags = append(diags, readOnlySet(nb.Block, e, path+nb.TypeName+".")...)
		}
	}
	return diags
}
