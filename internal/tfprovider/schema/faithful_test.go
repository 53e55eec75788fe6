package schema

import (
	"encoding/json"
	"strings"
	"testing"
)

// The expectations below are checked by hand against the hashicorp/google 6.x documentation
// (registry.terraform.io/providers/hashicorp/google/6.50.0/docs/resources/<name>, "Argument
// Reference" and "Attributes Reference"): required arguments, nested blocks and how many of
// each the provider allows (a "(Structure is documented below)" block of at most one element
// is a list with max_items 1 in the SDK), and types.

type attrWant struct {
	path, typ string // path: resource type then names, dot-separated; typ: cty JSON
	mode      string // "required", "optional" or "computed"
}

type blockWant struct {
	path     string
	nesting  string
	min, max int
}

func TestSchemaIsFaithful(t *testing.T) {
	s, err := Google()
	if err != nil {
		t.Fatal(err)
	}
	attrs := []attrWant{
		{"google_cloud_run_v2_service.name", `"string"`, "required"},
		{"google_cloud_run_v2_service.location", `"string"`, "required"},
		{"google_cloud_run_v2_service.uri", `"string"`, "computed"},
		{"google_cloud_run_v2_service.urls", `["list","string"]`, "computed"},
		{"google_cloud_run_v2_service.deletion_protection", `"bool"`, "optional"},
		{"google_cloud_run_v2_service.client_version", `"string"`, "optional"},
		{"google_cloud_run_v2_service.template.service_account", `"string"`, "optional"},
		{"google_cloud_run_v2_service.template.containers.image", `"string"`, "required"},
		{"google_cloud_run_v2_service.template.containers.env.name", `"string"`, "required"},
		{"google_cloud_run_v2_service.template.containers.env.value_source.secret_key_ref.secret", `"string"`, "required"},
		{"google_cloud_run_v2_service.template.containers.resources.limits", `["map","string"]`, "optional"},
		{"google_cloud_run_v2_service.template.scaling.max_instance_count", `"number"`, "optional"},
		{"google_cloud_run_v2_service.template.max_instance_request_concurrency", `"number"`, "optional"},
		{"google_iam_workload_identity_pool_provider.workload_identity_pool_id", `"string"`, "required"},
		{"google_iam_workload_identity_pool_provider.workload_identity_pool_provider_id", `"string"`, "required"},
		{"google_iam_workload_identity_pool_provider.attribute_condition", `"string"`, "optional"},
		{"google_iam_workload_identity_pool_provider.attribute_mapping", `["map","string"]`, "optional"},
		{"google_iam_workload_identity_pool_provider.name", `"string"`, "computed"},
		{"google_iam_workload_identity_pool_provider.oidc.issuer_uri", `"string"`, "required"},
		{"google_iam_workload_identity_pool_provider.oidc.allowed_audiences", `["list","string"]`, "optional"},
		{"google_artifact_registry_repository.repository_id", `"string"`, "required"},
		{"google_artifact_registry_repository.format", `"string"`, "required"},
		{"google_artifact_registry_repository.name", `"string"`, "computed"},
		{"google_artifact_registry_repository.cleanup_policy_dry_run", `"bool"`, "optional"},
		{"google_artifact_registry_repository.cleanup_policies.id", `"string"`, "required"},
		{"google_artifact_registry_repository.cleanup_policies.condition.older_than", `"string"`, "optional"},
		{"google_artifact_registry_repository.cleanup_policies.most_recent_versions.keep_count", `"number"`, "optional"},
		{"google_storage_bucket.name", `"string"`, "required"},
		{"google_storage_bucket.location", `"string"`, "required"},
		{"google_storage_bucket.uniform_bucket_level_access", `"bool"`, "optional"},
		{"google_storage_bucket.url", `"string"`, "computed"},
		{"google_storage_bucket.labels", `["map","string"]`, "optional"},
		{"google_storage_bucket.lifecycle_rule.action.type", `"string"`, "required"},
		{"google_storage_bucket.lifecycle_rule.condition.age", `"number"`, "optional"},
		{"google_storage_bucket.versioning.enabled", `"bool"`, "required"},
		{"google_monitoring_alert_policy.display_name", `"string"`, "required"},
		{"google_monitoring_alert_policy.combiner", `"string"`, "required"},
		{"google_monitoring_alert_policy.notification_channels", `["list","string"]`, "optional"},
		{"google_monitoring_alert_policy.name", `"string"`, "computed"},
		{"google_monitoring_alert_policy.conditions.display_name", `"string"`, "required"},
		{"google_monitoring_alert_policy.conditions.condition_threshold.comparison", `"string"`, "required"},
		{"google_monitoring_alert_policy.conditions.condition_threshold.duration", `"string"`, "required"},
		{"google_monitoring_alert_policy.conditions.condition_threshold.threshold_value", `"number"`, "optional"},
		{"google_monitoring_alert_policy.conditions.condition_threshold.aggregations.group_by_fields", `["list","string"]`, "optional"},
	}
	blocks := []blockWant{
		{"google_cloud_run_v2_service.template", "list", 1, 1},
		{"google_cloud_run_v2_service.template.containers", "list", 0, 0},
		{"google_cloud_run_v2_service.template.scaling", "list", 0, 1},
		{"google_cloud_run_v2_service.template.vpc_access", "list", 0, 1},
		{"google_cloud_run_v2_service.template.vpc_access.network_interfaces", "list", 0, 0},
		{"google_cloud_run_v2_service.template.containers.startup_probe", "list", 0, 1},
		{"google_cloud_run_v2_service.template.containers.liveness_probe.http_get", "list", 0, 1},
		{"google_cloud_run_v2_service.traffic", "list", 0, 0},
		{"google_cloud_run_v2_service.timeouts", "single", 0, 0},
		{"google_iam_workload_identity_pool_provider.oidc", "list", 0, 1},
		{"google_iam_workload_identity_pool_provider.aws", "list", 0, 1},
		{"google_artifact_registry_repository.cleanup_policies", "set", 0, 0},
		{"google_artifact_registry_repository.cleanup_policies.condition", "list", 0, 1},
		{"google_artifact_registry_repository.docker_config", "list", 0, 1},
		{"google_storage_bucket.lifecycle_rule", "list", 0, 0},
		{"google_storage_bucket.lifecycle_rule.action", "set", 1, 1},
		{"google_storage_bucket.lifecycle_rule.condition", "set", 1, 1},
		{"google_storage_bucket.versioning", "list", 0, 1},
		{"google_storage_bucket.cors", "list", 0, 0},
		{"google_monitoring_alert_policy.conditions", "list", 1, 0},
		{"google_monitoring_alert_policy.conditions.condition_threshold", "list", 0, 1},
		{"google_monitoring_alert_policy.conditions.condition_threshold.aggregations", "list", 0, 0},
		{"google_monitoring_alert_policy.documentation", "list", 0, 1},
	}
	for _, w := range attrs {
		t.Run(w.path, func(t *testing.T) {
			parent, name := lookup(t, s, w.path)
			a, ok := parent.Attributes[name]
			if !ok {
				t.Fatalf("no attribute %s", w.path)
			}
			if got := compact(t, a.Type); got != w.typ {
				t.Errorf("type = %s, want %s", got, w.typ)
			}
			if got := mode(a); got != w.mode {
				t.Errorf("mode = %s, want %s", got, w.mode)
			}
		})
	}
	for _, w := range blocks {
		t.Run(w.path, func(t *testing.T) {
			parent, name := lookup(t, s, w.path)
			b, ok := parent.BlockTypes[name]
			if !ok {
				t.Fatalf("no block %s", w.path)
			}
			if b.NestingMode != w.nesting || b.MinItems != w.min || b.MaxItems != w.max {
				t.Errorf("nesting %s min %d max %d, want %s min %d max %d", b.NestingMode, b.MinItems, b.MaxItems, w.nesting, w.min, w.max)
			}
		})
	}
}

// TestSchemaHasNoGuessedNames checks names whose camelCase form would convert wrongly.
func TestSchemaHasNoGuessedNames(t *testing.T) {
	s, err := Google()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"google_compute_instance.network_interface.ipv6_access_config",
		"google_container_cluster.enable_k8s_beta_apis",
		"google_cloud_run_v2_service.template.containers.startup_probe.tcp_socket",
		"google_cloudbuild_trigger.build",
		"google_compute_forwarding_rule.ip_protocol",
		"google_sql_database_instance.settings.ip_configuration.ipv4_enabled",
	} {
		parent, name := lookup(t, s, path)
		_, isAttr := parent.Attributes[name]
		_, isBlock := parent.BlockTypes[name]
		if !isAttr && !isBlock {
			t.Errorf("no argument or block %s", path)
		}
	}
}

// lookup walks a dotted path through resources and nested blocks to the parent block of the last name.
func lookup(t *testing.T, s *Schema, path string) (*Block, string) {
	t.Helper()
	parts := strings.Split(path, ".")
	b, ok := s.ResourceSchemas[parts[0]]
	if !ok {
		t.Fatalf("no resource %s", parts[0])
	}
	for _, p := range parts[1 : len(parts)-1] {
		nb, ok := b.BlockTypes[p]
		if !ok {
			t.Fatalf("%s: no block %s", path, p)
		}
		b = nb.Block
	}
	return b, parts[len(parts)-1]
}

func compact(t *testing.T, raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func mode(a *Attribute) string {
	switch {
	case a.Required:
		return "required"
	case a.Optional:
		return "optional"
	case a.Computed:
		return "computed"
	}
	return "none"
}

// TestProviderSchema checks the provider block and the size of the schema against the
// provider's documentation (docs/guides/provider_reference) and @cdktf/provider-google 16.12.1.
func TestProviderSchema(t *testing.T) {
	s, err := Google()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"project", "region", "zone", "credentials", "access_token", "impersonate_service_account", "user_project_override", "default_labels"} {
		a, ok := s.Provider.Attributes[name]
		if !ok || !a.Optional || a.Required {
			t.Errorf("provider argument %s: %+v, want an optional argument", name, a)
		}
	}
	// cdktf types every provider block as an array, so the provider's max_items of 1 on
	// batching and external_credentials is not in the jsii: they are served as lists of any
	// length (less strict than the real provider, never stricter).
	for _, name := range []string{"batching", "external_credentials"} {
		if b, ok := s.Provider.BlockTypes[name]; !ok || b.NestingMode != "list" {
			t.Errorf("provider block %s: %+v, want a list block", name, b)
		}
	}
	if _, ok := s.Provider.Attributes["alias"]; ok {
		t.Error("alias is a meta-argument, not a provider argument")
	}
	if got, want := len(s.ResourceSchemas), 1096; got != want {
		t.Errorf("%d resources, want %d", got, want)
	}
	if got, want := len(s.DataSourceSchemas), 373; got != want {
		t.Errorf("%d data sources, want %d", got, want)
	}
}
