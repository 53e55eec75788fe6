package provider

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/twittix/infra/internal/tfprovider/schema"
)

// testSchema is a small provider schema: a resource with a required, an optional and a
// computed attribute and a nested block holding a computed attribute.
func testSchema() *schema.Schema {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	return &schema.Schema{
		Provider: &schema.Block{Attributes: map[string]*schema.Attribute{"project": {Type: raw(`"string"`), Optional: true}}},
		ResourceSchemas: map[string]*schema.Block{
			"google_thing": {
				Attributes: map[string]*schema.Attribute{
					"name":   {Type: raw(`"string"`), Required: true},
					"labels": {Type: raw(`["map","string"]`), Optional: true},
					"uri":    {Type: raw(`"string"`), Computed: true},
					"status": {Type: raw(`["list",["object",{"ready":"bool"}]]`), Computed: true},
				},
				BlockTypes: map[string]*schema.NestedBlock{
					"spec": {NestingMode: "list", MaxItems: 1, Block: &schema.Block{Attributes: map[string]*schema.Attribute{
						"size": {Type: raw(`"number"`), Optional: true},
						"etag": {Type: raw(`"string"`), Computed: true},
					}}},
				},
			},
		},
		DataSourceSchemas: map[string]*schema.Block{
			"google_thing": {Attributes: map[string]*schema.Attribute{"name": {Type: raw(`"string"`), Required: true}, "uri": {Type: raw(`"string"`), Computed: true}}},
		},
	}
}

func newServer(t *testing.T) *Server {
	t.Helper()
	s, err := New(testSchema())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func thingType(t *testing.T, s *Server) tftypes.Type {
	t.Helper()
	return s.resources["google_thing"].ValueType()
}

func dynamic(t *testing.T, typ tftypes.Type, v tftypes.Value) *tfprotov5.DynamicValue {
	t.Helper()
	dv, err := tfprotov5.NewDynamicValue(typ, v)
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

// thing builds a google_thing value: name, uri (nil: null; tftypes.UnknownValue: unknown) and
// spec elements given as their etag.
func thing(t *testing.T, typ tftypes.Type, name string, uri any, etags ...any) tftypes.Value {
	obj := typ.(tftypes.Object)
	specType := obj.AttributeTypes["spec"].(tftypes.List)
	specElem := specType.ElementType.(tftypes.Object)
	var specs []tftypes.Value
	for _, e := range etags {
		specs = append(specs, tftypes.NewValue(specElem, map[string]tftypes.Value{
			"size": tftypes.NewValue(tftypes.Number, nil),
			"etag": tftypes.NewValue(tftypes.String, e),
		}))
	}
	return tftypes.NewValue(typ, map[string]tftypes.Value{
		"name":   tftypes.NewValue(tftypes.String, name),
		"labels": tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, nil),
		"uri":    tftypes.NewValue(tftypes.String, uri),
		"status": tftypes.NewValue(obj.AttributeTypes["status"], nil),
		"spec":   tftypes.NewValue(specType, specs),
	})
}

func TestGetProviderSchema(t *testing.T) {
	s := newServer(t)
	resp, err := s.GetProviderSchema(context.Background(), &tfprotov5.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	b := resp.ResourceSchemas["google_thing"].Block
	var names []string
	for _, a := range b.Attributes {
		names = append(names, a.Name)
	}
	if got, want := strings.Join(names, ","), "labels,name,status,uri"; got != want {
		t.Errorf("attributes = %s, want %s (sorted)", got, want)
	}
	if len(b.BlockTypes) != 1 || b.BlockTypes[0].TypeName != "spec" || b.BlockTypes[0].Nesting != tfprotov5.SchemaNestedBlockNestingModeList || b.BlockTypes[0].MaxItems != 1 {
		t.Errorf("block types = %+v, want spec, list, max 1", b.BlockTypes)
	}
	want := tftypes.List{ElementType: tftypes.Object{AttributeTypes: map[string]tftypes.Type{"ready": tftypes.Bool}}}
	if got := b.Attributes[2].Type; !got.Equal(want) {
		t.Errorf("status type = %s, want %s", got, want)
	}
	if !resp.ServerCapabilities.GetProviderSchemaOptional {
		t.Error("GetProviderSchemaOptional is not announced: terraform would ask every provider instance for the whole schema")
	}
	meta, _ := s.GetMetadata(context.Background(), &tfprotov5.GetMetadataRequest{})
	if len(meta.Resources) != 1 || meta.Resources[0].TypeName != "google_thing" || len(meta.DataSources) != 1 {
		t.Errorf("metadata = %+v", meta)
	}
}

func TestNewRejectsBadTypes(t *testing.T) {
	s := testSchema()
	s.ResourceSchemas["google_thing"].Attributes["name"].Type = json.RawMessage(`["tuple_of","string"]`)
	if _, err := New(s); err == nil || !strings.Contains(err.Error(), "google_thing") {
		t.Errorf("New with an unknown type kind: %v, want an error naming the resource", err)
	}
}

func TestValidateRejectsComputedOnly(t *testing.T) {
	s := newServer(t)
	typ := thingType(t, s)
	tests := []struct {
		name string
		cfg  tftypes.Value
		want string // "" for no diagnostic
	}{
		{"arguments only", thing(t, typ, "a", nil, nil), ""},
		{"computed attribute set", thing(t, typ, "a", "https://x"), `Can't configure a value for "uri"`},
		{"computed attribute of a nested block set", thing(t, typ, "a", nil, "e1"), `Can't configure a value for "spec.etag"`},
		{"unknown value for a computed attribute", thing(t, typ, "a", tftypes.UnknownValue), `"uri"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := s.ValidateResourceTypeConfig(context.Background(), &tfprotov5.ValidateResourceTypeConfigRequest{TypeName: "google_thing", Config: dynamic(t, typ, tc.cfg)})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == "" && len(resp.Diagnostics) > 0:
				t.Errorf("diagnostics %+v, want none", resp.Diagnostics[0])
			case tc.want != "" && (len(resp.Diagnostics) != 1 || !strings.Contains(resp.Diagnostics[0].Detail, tc.want)):
				t.Errorf("diagnostics %v, want one saying %s", resp.Diagnostics, tc.want)
			}
		})
	}
	resp, _ := s.ValidateResourceTypeConfig(context.Background(), &tfprotov5.ValidateResourceTypeConfigRequest{TypeName: "google_nope"})
	if len(resp.Diagnostics) != 1 || !strings.Contains(resp.Diagnostics[0].Detail, "google_nope") {
		t.Errorf("an unknown resource type: %v, want a diagnostic naming it", resp.Diagnostics)
	}
}

func TestPlanAndApply(t *testing.T) {
	s := newServer(t)
	typ := thingType(t, s)
	ctx := context.Background()
	proposed := thing(t, typ, "a", nil)
	plan, err := s.PlanResourceChange(ctx, &tfprotov5.PlanResourceChangeRequest{
		TypeName: "google_thing", PriorState: dynamic(t, typ, tftypes.NewValue(typ, nil)),
		ProposedNewState: dynamic(t, typ, proposed), Config: dynamic(t, typ, proposed),
	})
	if err != nil {
		t.Fatal(err)
	}
	planned, err := plan.PlannedState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]tftypes.Value
	_ = planned.As(&fields)
	if fields["uri"].IsKnown() || fields["status"].IsKnown() {
		t.Errorf("planned uri %s, status %s: want unknown on create", fields["uri"], fields["status"])
	}
	if !fields["labels"].IsNull() {
		t.Errorf("planned labels %s: an optional argument left out stays null", fields["labels"])
	}
	applied, err := s.ApplyResourceChange(ctx, &tfprotov5.ApplyResourceChangeRequest{TypeName: "google_thing", PlannedState: plan.PlannedState})
	if err != nil {
		t.Fatal(err)
	}
	state, _ := applied.NewState.Unmarshal(typ)
	if !state.IsFullyKnown() {
		t.Errorf("applied state %s has unknown values", state)
	}

	// A destroy plans the null proposed state.
	destroy, err := s.PlanResourceChange(ctx, &tfprotov5.PlanResourceChangeRequest{
		TypeName: "google_thing", PriorState: applied.NewState,
		ProposedNewState: dynamic(t, typ, tftypes.NewValue(typ, nil)), Config: dynamic(t, typ, tftypes.NewValue(typ, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := destroy.PlannedState.Unmarshal(typ); !v.IsNull() {
		t.Errorf("destroy planned %s, want null", v)
	}
}

func TestUpgradeResourceStateKeepsState(t *testing.T) {
	s := newServer(t)
	typ := thingType(t, s)
	raw := []byte(`{"name":"a","labels":{"team":"web"},"uri":"https://a","status":[{"ready":true}],"spec":[{"size":2,"etag":"e"}]}`)
	resp, err := s.UpgradeResourceState(context.Background(), &tfprotov5.UpgradeResourceStateRequest{TypeName: "google_thing", RawState: &tfprotov5.RawState{JSON: raw}})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("UpgradeResourceState: %v %v", err, resp.Diagnostics)
	}
	v, err := resp.UpgradedState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]tftypes.Value
	_ = v.As(&fields)
	var uri string
	_ = fields["uri"].As(&uri)
	if uri != "https://a" {
		t.Errorf("uri = %q after upgrade, want https://a", uri)
	}
	bad, _ := s.UpgradeResourceState(context.Background(), &tfprotov5.UpgradeResourceStateRequest{TypeName: "google_thing", RawState: &tfprotov5.RawState{JSON: []byte(`{"name":"a","spec":"not a list"}`)}})
	if len(bad.Diagnostics) != 1 {
		t.Errorf("a state that does not match the schema: diagnostics %v, want one", bad.Diagnostics)
	}
}

func TestGoogleSchemaServes(t *testing.T) {
	g, err := schema.Google()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(g)
	if err != nil {
		t.Fatalf("the committed schema does not convert: %v", err)
	}
	if n := len(s.resources); n < 1000 {
		t.Errorf("%d resources, want the provider's 1096", n)
	}
}
