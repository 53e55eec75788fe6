package iamcheck

import (
	"strings"
	"testing"
)

func TestMissing(t *testing.T) {
	tests := []struct {
		name    string
		grants  *Grants
		custom  map[string][]string
		want    []string // substrings of the missing permissions; nil: none missing
		wantErr string
	}{
		{
			name:   "project admin roles cover resource-level needs",
			grants: &Grants{Project: []string{"roles/run.developer", "roles/monitoring.viewer", "roles/iam.serviceAccountUser"}},
		},
		{
			name: "a resource grant covers its kind only",
			grants: &Grants{
				Project:   []string{"roles/run.developer", "roles/monitoring.viewer"},
				Resources: map[string][]string{"some_other_account": {"roles/iam.serviceAccountUser"}},
			},
			want: []string{"iam.serviceAccounts.actAs on runtime_service_accounts"},
		},
		{
			name: "a resource grant does not give a project permission",
			grants: &Grants{
				Project:   []string{"roles/run.viewer"},
				Resources: map[string][]string{"runtime_service_accounts": {"roles/iam.serviceAccountUser", "roles/run.developer", "roles/monitoring.viewer"}},
			},
			want: []string{"monitoring.timeSeries.list on project", "run.services.update on project"},
		},
		{
			name:   "custom role permissions come from its definition",
			grants: &Grants{Project: []string{"custom:r"}, Resources: map[string][]string{"runtime_service_accounts": {"roles/iam.serviceAccountUser"}}},
			custom: map[string][]string{"r": {"run.services.get", "run.services.update", "run.revisions.get", "run.operations.get"}},
			want:   []string{"monitoring.timeSeries.list on project"},
		},
		{
			name:    "unknown custom role",
			grants:  &Grants{Project: []string{"custom:nope"}},
			wantErr: `no custom role "nope"`,
		},
		{
			name:    "predefined role missing from the table",
			grants:  &Grants{Project: []string{"roles/editor"}},
			wantErr: "roles/editor is not in iamcheck.PredefinedRoles",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &Config{Identities: map[string]*Grants{"release": tc.grants}, Custom: tc.custom}
			missing, err := cfg.Missing("promote")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Missing error = %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(missing) != len(tc.want) {
				t.Fatalf("missing = %q, want %d entries like %q", missing, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(missing[i], w) {
					t.Errorf("missing[%d] = %q, want %q...", i, missing[i], w)
				}
			}
		})
	}
}
