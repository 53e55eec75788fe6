package repotest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ActionMetadata is the part of an action.yml the tests check.
type ActionMetadata struct {
	Name        string                    `yaml:"name"`
	Description string                    `yaml:"description"`
	Author      string                    `yaml:"author"`
	Inputs      map[string]MetadataInput  `yaml:"inputs"`
	Outputs     map[string]MetadataOutput `yaml:"outputs"`
	Runs        struct {
		Using      string   `yaml:"using"`
		Image      string   `yaml:"image"`
		Args       []string `yaml:"args"`
		Entrypoint string   `yaml:"entrypoint"`
	} `yaml:"runs"`
	Branding struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
}

// MetadataInput is one input of an action.yml. Default is a pointer to tell "no default" from "".
type MetadataInput struct {
	Description string  `yaml:"description"`
	Required    bool    `yaml:"required"`
	Default     *string `yaml:"default"`
}

// MetadataOutput is one output of an action.yml.
type MetadataOutput struct {
	Description string `yaml:"description"`
}

// ReadActionMetadata parses the action.yml at path.
func ReadActionMetadata(path string) (*ActionMetadata, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m ActionMetadata
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", path, err)
	}
	return &m, nil
}

// Root returns the repository's root directory: the nearest directory above the working directory
// whose go.mod declares github.com/twittix/infra.
func Root() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module github.com/twittix/infra\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "."
		}
		dir = parent
	}
}
