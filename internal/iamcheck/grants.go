package iamcheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Grants are the roles Terraform grants one identity: on the project, and on single resources
// by kind ("source_bucket", "runtime_service_accounts", ...).
type Grants struct {
	Project   []string
	Resources map[string][]string
}

// Config is what terraform/modules/github-oidc grants, read from the JSON files it reads.
type Config struct {
	Identities map[string]*Grants
	Custom     map[string][]string // custom role ID → permissions
}

// Files Terraform reads the roles from, in terraform/modules/github-oidc (see its ROLES.md).
const (
	RolesFile         = "roles.json"
	CustomRolesFile   = "custom_roles.json"
	ResourceRolesFile = "resource_roles.json"
)

// LoadConfig reads the roles files of dir (terraform/modules/github-oidc).
func LoadConfig(dir string) (*Config, error) {
	var project map[string][]string
	var custom map[string]struct {
		Permissions []string `json:"permissions"`
	}
	var resources map[string]map[string][]string
	errs := errors.Join(
		readJSON(filepath.Join(dir, RolesFile), &project),
		readJSON(filepath.Join(dir, CustomRolesFile), &custom),
		readJSON(filepath.Join(dir, ResourceRolesFile), &resources),
	)
	if errs != nil {
		return nil, errs
	}
	c := &Config{Identities: map[string]*Grants{}, Custom: map[string][]string{}}
	for id, roles := range project {
		c.Identities[id] = &Grants{Project: roles, Resources: map[string][]string{}}
	}
	for id, kinds := range resources {
		g, ok := c.Identities[id]
		if !ok {
			g = &Grants{Resources: map[string][]string{}}
			c.Identities[id] = g
		}
		for kind, roles := range kinds {
			g.Resources[kind] = roles
		}
	}
	for id, r := range custom {
		c.Custom[id] = r.Permissions
	}
	return c, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("failed to read the roles Terraform grants: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w (see terraform/ROLES.md for the format)", path, err)
	}
	return nil
}

// permissionsOf returns the permissions of a role: a custom role ("custom:<id>") from Config, a
// predefined one from PredefinedRoles.
func (c *Config) permissionsOf(role string) ([]string, error) {
	if id, ok := strings.CutPrefix(role, "custom:"); ok {
		perms, ok := c.Custom[id]
		if !ok {
			return nil, fmt.Errorf("role %s: no custom role %q in %s", role, id, CustomRolesFile)
		}
		return perms, nil
	}
	perms, ok := PredefinedRoles[role]
	if !ok {
		return nil, fmt.Errorf("role %s is not in iamcheck.PredefinedRoles: add it with the permissions it includes that iamcheck.Permissions names (from https://cloud.google.com/iam/docs/roles-permissions)", role)
	}
	return perms, nil
}

// Missing returns the permissions the action needs that the roles of its identity do not grant,
// each as "permission on resource (method)", sorted; an error when a role is unknown.
func (c *Config) Missing(action string) ([]string, error) {
	id, ok := Identities[action]
	if !ok {
		return nil, fmt.Errorf("no identity for action %q in iamcheck.Identities", action)
	}
	g := c.Identities[id]
	if g == nil {
		g = &Grants{}
	}
	granted := func(roles []string) (map[string]bool, error) {
		out := map[string]bool{}
		var errs []error
		for _, r := range roles {
			perms, err := c.permissionsOf(r)
			errs = append(errs, err)
			for _, p := range perms {
				out[p] = true
			}
		}
		return out, errors.Join(errs...)
	}
	onProject, err := granted(g.Project)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, call := range Methods[action] {
		if call.Unreached != "" {
			continue
		}
		needs, ok := Permissions[call.Method]
		if !ok {
			return nil, fmt.Errorf("method %s has no entry in iamcheck.Permissions", call.Method)
		}
		for _, n := range needs {
			on := call.On
			if n.On != "" {
				on = n.On
			}
			if onProject[n.Permission] {
				continue
			}
			onResource, err := granted(g.Resources[on])
			if err != nil {
				return nil, err
			}
			if on == "project" || !onResource[n.Permission] {
				missing = append(missing, fmt.Sprintf("%s on %s (%s)", n.Permission, on, call.Method))
			}
		}
	}
	sort.Strings(missing)
	return missing, nil
}
