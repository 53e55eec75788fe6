package schema

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// ProviderAddress is the registry address the schema-only provider is installed under.
const ProviderAddress = "registry.terraform.io/hashicorp/google"

// ProviderVersion is the hashicorp/google release whose schema google-6.50.0.json.gz holds.
const ProviderVersion = "6.50.0"

// Schema is the schema of a whole provider, in the shape of `terraform providers schema -json`.
type Schema struct {
	// Source says where the schema was extracted from.
	Source            string            `json:"source"`
	Provider          *Block            `json:"provider"`
	ResourceSchemas   map[string]*Block `json:"resource_schemas"`
	DataSourceSchemas map[string]*Block `json:"data_source_schemas"`
}

// Block is a configuration block: its attributes and its nested block types.
type Block struct {
	Attributes map[string]*Attribute   `json:"attributes,omitempty"`
	BlockTypes map[string]*NestedBlock `json:"block_types,omitempty"`
}

// Attribute is one argument or exported attribute. Type is a cty type in its JSON form,
// e.g. "string", ["list","string"] or ["object",{"url":"string"}].
type Attribute struct {
	Type      json.RawMessage `json:"type"`
	Required  bool            `json:"required,omitempty"`
	Optional  bool            `json:"optional,omitempty"`
	Computed  bool            `json:"computed,omitempty"`
	Sensitive bool            `json:"sensitive,omitempty"`
}

// NestedBlock is a nested block type with its nesting mode ("single", "list" or "set").
type NestedBlock struct {
	NestingMode string `json:"nesting_mode"`
	MinItems    int    `json:"min_items,omitempty"`
	MaxItems    int    `json:"max_items,omitempty"`
	Block       *Block `json:"block"`
}

//go:embed google-6.50.0.json.gz
var googleGz []byte

var (
	loadOnce sync.Once
	loaded   *Schema
	loadErr  error
)

// Google returns the committed schema of hashicorp/google 6.50.0. The result is shared: do not modify it.
func Google() (*Schema, error) {
	loadOnce.Do(func() { loaded, loadErr = Decode(bytes.NewReader(googleGz)) })
	return loaded, loadErr
}

// Decode reads a gzipped schema JSON as written by Encode.
func Decode(r io.Reader) (*Schema, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("failed to open the gzipped provider schema (regenerate it with make tf-schema): %w", err)
	}
	defer zr.Close()
	var s Schema
	if err := json.NewDecoder(zr).Decode(&s); err != nil {
		return nil, fmt.Errorf("failed to decode the provider schema (regenerate it with make tf-schema): %w", err)
	}
	return &s, nil
}

// Encode writes s as gzipped, deterministic JSON (map keys sorted by encoding/json).
func Encode(w io.Writer, s *Schema) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(zw)
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("failed to encode the provider schema: %w", err)
	}
	return zw.Close()
}
