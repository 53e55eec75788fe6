package iamcheck

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// ExtraGrants are roles granted to an identity that no API call of its action needs, keyed by
// identity then "<resource kind> <role>", with the reason they are granted anyway. A role granted
// but neither needed nor listed here fails TestEveryRoleIsNeeded.
var ExtraGrants = map[string]map[string]string{
	"build": {
		"repository roles/artifactregistry.writer": "issue 8 asks it of the build identity; the cloud-build action " +
			"never calls Artifact Registry (the runner account pushes the images), so it is not least privilege",
	},
}

// rolesDir is terraform/modules/github-oidc of this checkout: the files Terraform grants from.
func rolesDir(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "terraform", "modules", "github-oidc")
	if _, err := os.Stat(filepath.Join(dir, RolesFile)); err != nil {
		t.Fatalf("the roles Terraform grants must be in %s: %v", dir, err)
	}
	return dir
}

// TestEveryMethodHasPermissions: a method an action calls but the permission table omits would
// escape the check.
func TestEveryMethodHasPermissions(t *testing.T) {
	for action, calls := range Methods {
		for _, c := range calls {
			needs, ok := Permissions[c.Method]
			if !ok || len(needs) == 0 {
				t.Errorf("%s calls %s, which has no permission in iamcheck.Permissions", action, c.Method)
			}
			if c.On == "" {
				t.Errorf("%s: %s says no resource (On)", action, c.Method)
			}
		}
		if _, ok := Identities[action]; !ok {
			t.Errorf("action %s has no identity in iamcheck.Identities", action)
		}
	}
}

// TestRolesCoverActions checks that the roles Terraform grants each identity give every
// permission its action's API calls need.
func TestRolesCoverActions(t *testing.T) {
	cfg, err := LoadConfig(rolesDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, action := range slices.Sorted(maps.Keys(Methods)) {
		t.Run(action, func(t *testing.T) {
			missing, err := cfg.Missing(action)
			if err != nil {
				t.Fatal(err)
			}
			if len(missing) > 0 {
				t.Errorf("the %s identity lacks, for the %s action:\n  %s\ngrant them in terraform/modules/github-oidc (%s, %s or %s)",
					Identities[action], action, strings.Join(missing, "\n  "), RolesFile, CustomRolesFile, ResourceRolesFile)
			}
			t.Logf("%s (%s identity): %s", action, Identities[action], strings.Join(needed(action), ", "))
		})
	}
}

// TestEveryRoleIsNeeded removes each role granted to the build and release identities, one at a
// time, from a copy of Terraform's roles files and checks that the permission check then fails:
// it proves the check bites, and that no role is granted for nothing (unless in ExtraGrants).
func TestEveryRoleIsNeeded(t *testing.T) {
	src := rolesDir(t)
	cfg, err := LoadConfig(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, action := range slices.Sorted(maps.Keys(Methods)) {
		id := Identities[action]
		g := cfg.Identities[id]
		if g == nil {
			t.Errorf("%s grants nothing to the %s identity", src, id)
			continue
		}
		grants := map[string][]string{"project": g.Project}
		for kind, roles := range g.Resources {
			grants[kind] = roles
		}
		for _, kind := range slices.Sorted(maps.Keys(grants)) {
			for _, role := range grants[kind] {
				t.Run(id+"/"+kind+"/"+role, func(t *testing.T) {
					dir := withoutRole(t, src, id, kind, role)
					cut, err := LoadConfig(dir)
					if err != nil {
						t.Fatal(err)
					}
					missing, err := cut.Missing(action)
					if err != nil {
						t.Fatal(err)
					}
					reason, extra := ExtraGrants[id][kind+" "+role]
					switch {
					case len(missing) == 0 && !extra:
						t.Errorf("without %s on %s the %s identity still has every permission the %s action needs: "+
							"remove the role, or list it in ExtraGrants with the reason", role, kind, id, action)
					case len(missing) > 0 && extra:
						t.Errorf("%s on %s is listed in ExtraGrants (%s) but the %s action needs it: %v", role, kind, reason, action, missing)
					case extra:
						t.Logf("not needed by %s, granted because %s", action, reason)
					default:
						t.Logf("without it the check fails: missing %s", strings.Join(missing, "; "))
					}
				})
			}
		}
	}
}

// TestCustomRolesHoldOnlyWhatIsNeeded lists, without failing, the permissions of the custom
// roles that no API call derives: each needs the reason the role's description gives.
func TestCustomRolesHoldOnlyWhatIsNeeded(t *testing.T) {
	cfg, err := LoadConfig(rolesDir(t))
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]bool{}
	for action := range Methods {
		for _, p := range needed(action) {
			all[p] = true
		}
	}
	for _, id := range slices.Sorted(maps.Keys(cfg.Custom)) {
		for _, p := range cfg.Custom[id] {
			if !all[p] {
				t.Logf("custom role %s holds %s, which no API call of the actions derives", id, p)
			}
		}
	}
}

// withoutRole copies the roles files of src to a temporary directory with role removed from
// the grants of kind ("project" or a resource kind) to identity id, and returns the directory.
func withoutRole(t *testing.T, src, id, kind, role string) string {
	t.Helper()
	dst := t.TempDir()
	for _, name := range []string{RolesFile, CustomRolesFile, ResourceRolesFile} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case kind == "project" && name == RolesFile:
			var m map[string][]string
			mustUnmarshal(t, b, &m)
			m[id] = remove(t, m[id], role)
			b = mustMarshal(t, m)
		case kind != "project" && name == ResourceRolesFile:
			var m map[string]map[string][]string
			mustUnmarshal(t, b, &m)
			m[id][kind] = remove(t, m[id][kind], role)
			b = mustMarshal(t, m)
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func remove(t *testing.T, roles []string, role string) []string {
	t.Helper()
	i := slices.Index(roles, role)
	if i < 0 {
		t.Fatalf("role %s is not granted", role)
	}
	return slices.Delete(slices.Clone(roles), i, i+1)
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// needed lists the permissions the action's reached calls need, sorted and unique.
func needed(action string) []string {
	set := map[string]bool{}
	for _, c := range Methods[action] {
		if c.Unreached != "" {
			continue
		}
		for _, n := range Permissions[c.Method] {
			set[n.Permission] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// TestPredefinedRolesNameKnownPermissions: PredefinedRoles lists only permissions that
// Permissions can ask for, so a misspelt one cannot hide there.
func TestPredefinedRolesNameKnownPermissions(t *testing.T) {
	known := map[string]bool{}
	for _, needs := range Permissions {
		for _, n := range needs {
			known[n.Permission] = true
		}
	}
	for _, role := range slices.Sorted(maps.Keys(PredefinedRoles)) {
		for _, p := range PredefinedRoles[role] {
			if !known[p] {
				t.Errorf("%s lists %s, which no method in iamcheck.Permissions needs", role, p)
			}
		}
	}
}
