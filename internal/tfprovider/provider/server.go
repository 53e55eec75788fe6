package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/twittix/infra/internal/tfprovider/schema"
)

// Server is a tfprotov5.ProviderServer serving a provider schema and nothing else.
type Server struct {
	resp      *tfprotov5.GetProviderSchemaResponse
	resources map[string]*tfprotov5.Schema
	data      map[string]*tfprotov5.Schema
}

var _ tfprotov5.ProviderServer = (*Server)(nil)

// New returns a server for s, or an error naming the first attribute whose type it cannot read.
func New(s *schema.Schema) (*Server, error) {
	provider, err := protoBlock(s.Provider)
	if err != nil {
		return nil, fmt.Errorf("provider schema: %w", err)
	}
	srv := &Server{
		resp: &tfprotov5.GetProviderSchemaResponse{
			ServerCapabilities: &tfprotov5.ServerCapabilities{PlanDestroy: true, GetProviderSchemaOptional: true},
			Provider:           &tfprotov5.Schema{Block: provider},
			ResourceSchemas:    map[string]*tfprotov5.Schema{},
			DataSourceSchemas:  map[string]*tfprotov5.Schema{},
		},
	}
	for name, b := range s.ResourceSchemas {
		pb, err := protoBlock(b)
		if err != nil {
			return nil, fmt.Errorf("resource %s: %w", name, err)
		}
		srv.resp.ResourceSchemas[name] = &tfprotov5.Schema{Block: pb}
	}
	for name, b := range s.DataSourceSchemas {
		pb, err := protoBlock(b)
		if err != nil {
			return nil, fmt.Errorf("data source %s: %w", name, err)
		}
		srv.resp.DataSourceSchemas[name] = &tfprotov5.Schema{Block: pb}
	}
	srv.resources, srv.data = srv.resp.ResourceSchemas, srv.resp.DataSourceSchemas
	return srv, nil
}

// GetMetadata lists the resource and data source types.
func (s *Server) GetMetadata(context.Context, *tfprotov5.GetMetadataRequest) (*tfprotov5.GetMetadataResponse, error) {
	resp := &tfprotov5.GetMetadataResponse{ServerCapabilities: s.resp.ServerCapabilities}
	for _, name := range slices.Sorted(maps.Keys(s.resources)) {
		resp.Resources = append(resp.Resources, tfprotov5.ResourceMetadata{TypeName: name})
	}
	for _, name := range slices.Sorted(maps.Keys(s.data)) {
		resp.DataSources = append(resp.DataSources, tfprotov5.DataSourceMetadata{TypeName: name})
	}
	return resp, nil
}

// GetProviderSchema returns the whole schema.
func (s *Server) GetProviderSchema(context.Context, *tfprotov5.GetProviderSchemaRequest) (*tfprotov5.GetProviderSchemaResponse, error) {
	return s.resp, nil
}

// GetResourceIdentitySchemas returns no identity schemas.
func (s *Server) GetResourceIdentitySchemas(context.Context, *tfprotov5.GetResourceIdentitySchemasRequest) (*tfprotov5.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov5.GetResourceIdentitySchemasResponse{}, nil
}

// PrepareProviderConfig accepts the configuration as it is: terraform has checked it against the schema.
func (s *Server) PrepareProviderConfig(_ context.Context, req *tfprotov5.PrepareProviderConfigRequest) (*tfprotov5.PrepareProviderConfigResponse, error) {
	return &tfprotov5.PrepareProviderConfigResponse{PreparedConfig: req.Config}, nil
}

// ConfigureProvider accepts any configuration: there is no API client to set up.
func (s *Server) ConfigureProvider(context.Context, *tfprotov5.ConfigureProviderRequest) (*tfprotov5.ConfigureProviderResponse, error) {
	return &tfprotov5.ConfigureProviderResponse{}, nil
}

// StopProvider has nothing to stop.
func (s *Server) StopProvider(context.Context, *tfprotov5.StopProviderRequest) (*tfprotov5.StopProviderResponse, error) {
	return &tfprotov5.StopProviderResponse{}, nil
}

// ValidateResourceTypeConfig rejects values for computed-only attributes, as the SDK does;
// terraform checks the rest of the schema itself. It validates no values.
func (s *Server) ValidateResourceTypeConfig(_ context.Context, req *tfprotov5.ValidateResourceTypeConfigRequest) (*tfprotov5.ValidateResourceTypeConfigResponse, error) {
	diags, err := validateConfig(s.resources, "resource", req.TypeName, req.Config)
	return &tfprotov5.ValidateResourceTypeConfigResponse{Diagnostics: diags}, err
}

// ValidateDataSourceConfig rejects values for computed-only attributes, as the SDK does.
func (s *Server) ValidateDataSourceConfig(_ context.Context, req *tfprotov5.ValidateDataSourceConfigRequest) (*tfprotov5.ValidateDataSourceConfigResponse, error) {
	diags, err := validateConfig(s.data, "data source", req.TypeName, req.Config)
	return &tfprotov5.ValidateDataSourceConfigResponse{Diagnostics: diags}, err
}

// UpgradeResourceState returns the stored state as it is: every schema is at version 0.
func (s *Server) UpgradeResourceState(_ context.Context, req *tfprotov5.UpgradeResourceStateRequest) (*tfprotov5.UpgradeResourceStateResponse, error) {
	sch, ok := s.resources[req.TypeName]
	if !ok {
		return &tfprotov5.UpgradeResourceStateResponse{Diagnostics: unknownType("resource", req.TypeName)}, nil
	}
	typ := sch.ValueType()
	if req.RawState == nil || req.RawState.JSON == nil {
		dv, err := tfprotov5.NewDynamicValue(typ, tftypes.NewValue(typ, nil))
		return &tfprotov5.UpgradeResourceStateResponse{UpgradedState: &dv}, err
	}
	v, err := req.RawState.Unmarshal(typ)
	if err != nil {
		return &tfprotov5.UpgradeResourceStateResponse{Diagnostics: errorDiag("Stored state does not match the schema", err)}, nil
	}
	dv, err := tfprotov5.NewDynamicValue(typ, v)
	return &tfprotov5.UpgradeResourceStateResponse{UpgradedState: &dv}, err
}

// ReadResource returns the current state unchanged.
func (s *Server) ReadResource(_ context.Context, req *tfprotov5.ReadResourceRequest) (*tfprotov5.ReadResourceResponse, error) {
	return &tfprotov5.ReadResourceResponse{NewState: req.CurrentState, Private: req.Private}, nil
}

// PlanResourceChange plans the proposed state, with the computed attributes left null by the
// configuration unknown on create (as a real provider would), and nothing on destroy.
func (s *Server) PlanResourceChange(_ context.Context, req *tfprotov5.PlanResourceChangeRequest) (*tfprotov5.PlanResourceChangeResponse, error) {
	sch, ok := s.resources[req.TypeName]
	if !ok {
		return &tfprotov5.PlanResourceChangeResponse{Diagnostics: unknownType("resource", req.TypeName)}, nil
	}
	typ := sch.ValueType()
	proposed, err := req.ProposedNewState.Unmarshal(typ)
	if err != nil {
		return nil, err
	}
	prior, err := req.PriorState.Unmarshal(typ)
	if err != nil {
		return nil, err
	}
	if proposed.IsNull() || !prior.IsNull() {
		return &tfprotov5.PlanResourceChangeResponse{PlannedState: req.ProposedNewState, PlannedPrivate: req.PriorPrivate}, nil
	}
	planned, err := unknownComputed(sch.Block, proposed)
	if err != nil {
		return nil, err
	}
	dv, err := tfprotov5.NewDynamicValue(typ, planned)
	return &tfprotov5.PlanResourceChangeResponse{PlannedState: &dv}, err
}

// ApplyResourceChange "applies" the plan: the new state is the planned one, with the values
// only the real API would know left null.
func (s *Server) ApplyResourceChange(_ context.Context, req *tfprotov5.ApplyResourceChangeRequest) (*tfprotov5.ApplyResourceChangeResponse, error) {
	sch, ok := s.resources[req.TypeName]
	if !ok {
		return &tfprotov5.ApplyResourceChangeResponse{Diagnostics: unknownType("resource", req.TypeName)}, nil
	}
	typ := sch.ValueType()
	planned, err := req.PlannedState.Unmarshal(typ)
	if err != nil {
		return nil, err
	}
	known, err := tftypes.Transform(planned, func(_ *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if !v.IsKnown() {
			return tftypes.NewValue(v.Type(), nil), nil
		}
		return v, nil
	})
	if err != nil {
		return nil, err
	}
	dv, err := tfprotov5.NewDynamicValue(typ, known)
	return &tfprotov5.ApplyResourceChangeResponse{NewState: &dv, Private: req.PlannedPrivate}, err
}

// ImportResourceState cannot import: there is no API to read the object from.
func (s *Server) ImportResourceState(_ context.Context, req *tfprotov5.ImportResourceStateRequest) (*tfprotov5.ImportResourceStateResponse, error) {
	return &tfprotov5.ImportResourceStateResponse{Diagnostics: schemaOnly("import " + req.TypeName)}, nil
}

// MoveResourceState cannot move state between resource types.
func (s *Server) MoveResourceState(_ context.Context, req *tfprotov5.MoveResourceStateRequest) (*tfprotov5.MoveResourceStateResponse, error) {
	return &tfprotov5.MoveResourceStateResponse{Diagnostics: schemaOnly("move state to " + req.TargetTypeName)}, nil
}

// UpgradeResourceIdentity has no identities to upgrade.
func (s *Server) UpgradeResourceIdentity(_ context.Context, req *tfprotov5.UpgradeResourceIdentityRequest) (*tfprotov5.UpgradeResourceIdentityResponse, error) {
	return &tfprotov5.UpgradeResourceIdentityResponse{Diagnostics: schemaOnly("upgrade the identity of " + req.TypeName)}, nil
}

// GenerateResourceConfig cannot generate configuration.
func (s *Server) GenerateResourceConfig(_ context.Context, req *tfprotov5.GenerateResourceConfigRequest) (*tfprotov5.GenerateResourceConfigResponse, error) {
	return &tfprotov5.GenerateResourceConfigResponse{Diagnostics: schemaOnly("generate configuration for " + req.TypeName)}, nil
}

// ReadDataSource returns the configuration with the computed attributes null: there is no API to read.
func (s *Server) ReadDataSource(_ context.Context, req *tfprotov5.ReadDataSourceRequest) (*tfprotov5.ReadDataSourceResponse, error) {
	if _, ok := s.data[req.TypeName]; !ok {
		return &tfprotov5.ReadDataSourceResponse{Diagnostics: unknownType("data source", req.TypeName)}, nil
	}
	return &tfprotov5.ReadDataSourceResponse{State: req.Config}, nil
}

// ValidateEphemeralResourceConfig: the schema has no ephemeral resources.
func (s *Server) ValidateEphemeralResourceConfig(_ context.Context, req *tfprotov5.ValidateEphemeralResourceConfigRequest) (*tfprotov5.ValidateEphemeralResourceConfigResponse, error) {
	return &tfprotov5.ValidateEphemeralResourceConfigResponse{Diagnostics: unknownType("ephemeral resource", req.TypeName)}, nil
}

// OpenEphemeralResource: the schema has no ephemeral resources.
func (s *Server) OpenEphemeralResource(_ context.Context, req *tfprotov5.OpenEphemeralResourceRequest) (*tfprotov5.OpenEphemeralResourceResponse, error) {
	return &tfprotov5.OpenEphemeralResourceResponse{Diagnostics: unknownType("ephemeral resource", req.TypeName)}, nil
}

// RenewEphemeralResource: the schema has no ephemeral resources.
func (s *Server) RenewEphemeralResource(_ context.Context, req *tfprotov5.RenewEphemeralResourceRequest) (*tfprotov5.RenewEphemeralResourceResponse, error) {
	return &tfprotov5.RenewEphemeralResourceResponse{Diagnostics: unknownType("ephemeral resource", req.TypeName)}, nil
}

// CloseEphemeralResource: the schema has no ephemeral resources.
func (s *Server) CloseEphemeralResource(_ context.Context, req *tfprotov5.CloseEphemeralResourceRequest) (*tfprotov5.CloseEphemeralResourceResponse, error) {
	return &tfprotov5.CloseEphemeralResourceResponse{Diagnostics: unknownType("ephemeral resource", req.TypeName)}, nil
}

// GetFunctions returns no functions: the jsii manifest does not describe provider functions.
func (s *Server) GetFunctions(context.Context, *tfprotov5.GetFunctionsRequest) (*tfprotov5.GetFunctionsResponse, error) {
	return &tfprotov5.GetFunctionsResponse{Functions: map[string]*tfprotov5.Function{}}, nil
}

// CallFunction: there are no functions.
func (s *Server) CallFunction(_ context.Context, req *tfprotov5.CallFunctionRequest) (*tfprotov5.CallFunctionResponse, error) {
	return &tfprotov5.CallFunctionResponse{Error: &tfprotov5.FunctionError{Text: "the schema-only google provider has no function " + req.Name}}, nil
}
