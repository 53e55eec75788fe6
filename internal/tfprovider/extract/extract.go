package extract

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/twittix/infra/internal/tfprovider/schema"
)

// FromTarball reads the npm tarball of @cdktf/provider-google (as written by `npm pack`) and
// returns the schema of the hashicorp/google provider it was generated from.
//
// The structure (which properties exist, their jsii types, which are optional, which nested
// types they use) comes from the .jsii manifest; the Terraform names, block versus attribute and
// list versus set come from the generated lib/*/index.js of the same tarball; every name is
// checked against the Terraform Registry link of the property's jsii documentation.
func FromTarball(r io.Reader) (*schema.Schema, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("failed to read the npm tarball (is it the output of npm pack?): %w", err)
	}
	tr := tar.NewReader(zr)
	var asm *assembly
	ix := newJSIndex()
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("failed to read the npm tarball: %w", err)
		}
		switch {
		case h.Name == "package/.jsii":
			asm = &assembly{}
			if err := json.NewDecoder(tr).Decode(asm); err != nil {
				return nil, fmt.Errorf("failed to decode package/.jsii: %w", err)
			}
		case strings.HasPrefix(h.Name, "package/lib/") && path.Ext(h.Name) == ".js":
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, fmt.Errorf("failed to read %s: %w", h.Name, err)
			}
			ix.add(string(b))
		}
	}
	if asm == nil {
		return nil, errors.New("the npm tarball has no package/.jsii: pack @cdktf/provider-google, not another package")
	}
	return build(asm, ix)
}

type builder struct {
	asm  *assembly
	ix   *jsIndex
	errs []error
}

func (b *builder) errorf(format string, args ...any) {
	b.errs = append(b.errs, fmt.Errorf(format, args...))
}

func build(asm *assembly, ix *jsIndex) (*schema.Schema, error) {
	b := &builder{asm: asm, ix: ix}
	s := &schema.Schema{
		Source:            fmt.Sprintf("%s@%s (.jsii and lib/*/index.js)", asm.Name, asm.Version),
		ResourceSchemas:   map[string]*schema.Block{},
		DataSourceSchemas: map[string]*schema.Block{},
	}
	fqns := make([]string, 0, len(asm.Types))
	for fqn := range asm.Types {
		fqns = append(fqns, fqn)
	}
	sort.Strings(fqns)
	for _, fqn := range fqns {
		t := asm.Types[fqn]
		if t.Kind != "class" {
			continue
		}
		switch t.Base {
		case "cdktf.TerraformProvider":
			s.Provider = b.topBlock(t, false)
		case "cdktf.TerraformResource":
			s.ResourceSchemas[b.tfType(t, "resources")] = b.topBlock(t, true)
		case "cdktf.TerraformDataSource":
			s.DataSourceSchemas[b.tfType(t, "data-sources")] = b.topBlock(t, true)
		}
	}
	if s.Provider == nil {
		b.errorf("no class extends cdktf.TerraformProvider in the jsii manifest")
	}
	if len(b.errs) > 0 {
		if len(b.errs) > 40 {
			b.errs = append(b.errs[:40], fmt.Errorf("... and %d more", len(b.errs)-40))
		}
		return nil, errors.Join(b.errs...)
	}
	return s, nil
}

var summaryLink = regexp.MustCompile(`/docs/(resources|data-sources)/(\w+) (google_\w+)\}`)

// tfType is the Terraform type of a resource or data source class, from the generated
// tfResourceType constant, checked against the docs link of the class.
func (b *builder) tfType(t *jsiiType, kind string) string {
	name := b.ix.TFTypes[t.Name]
	m := summaryLink.FindStringSubmatch(t.Docs.Summary)
	switch {
	case name == "":
		b.errorf("%s: no tfResourceType in lib/*/index.js", t.FQN)
	case m == nil || m[1] != kind || m[3] != name || "google_"+m[2] != name:
		b.errorf("%s: tfResourceType %q disagrees with the docs link %q", t.FQN, name, t.Docs.Summary)
	}
	return name
}

// topBlock is the schema of a provider, resource or data source class.
func (b *builder) topBlock(t *jsiiType, withID bool) *schema.Block {
	cfg := ""
	if t.Initializer != nil {
		for _, p := range t.Initializer.Parameters {
			if p.Name == "config" {
				cfg = p.Type.FQN
			}
		}
	}
	cls := b.ix.Classes[t.Name]
	if cfg == "" || cls == nil {
		b.errorf("%s: no config parameter or no generated class", t.FQN)
		return &schema.Block{}
	}
	blk := b.block(t.FQN, b.asm.Types[cfg], cls, cls.Hcl)
	if a := blk.Attributes["id"]; withID && a != nil && a.Optional {
		a.Computed = true // the SDK's id is optional and computed on every resource and data source
	}
	return blk
}

// block builds a configuration block from a jsii config struct (its properties), the
// generated class reading it (computed-only getters) and its generated HCL entries.
func (b *builder) block(where string, cfg *jsiiType, cls *jsClass, hcl []hclAttr) *schema.Block {
	blk := &schema.Block{Attributes: map[string]*schema.Attribute{}, BlockTypes: map[string]*schema.NestedBlock{}}
	if cfg == nil {
		b.errorf("%s: config struct not found", where)
		return blk
	}
	byCamel := map[string]hclAttr{}
	for _, h := range hcl {
		byCamel[h.Camel] = h
	}
	props := map[string]bool{}
	for _, p := range cfg.Properties {
		if p.Name == "alias" && strings.HasSuffix(cfg.Name, "ProviderConfig") {
			continue // a meta-argument, not part of the provider's schema
		}
		props[p.Name] = true
		var h hclAttr
		var ok bool
		h, ok = byCamel[p.Name]
		if !ok {
			// cdktf renames a property that clashes with a reserved word (build → buildAttribute)
			// in the jsii but not in the generated JavaScript.
			h, ok = byCamel[strings.TrimSuffix(p.Name, "Attribute")]
			if ok {
				h.Camel = p.Name
			}
		}
		if !ok {
			b.errorf("%s: property %s has no entry in the generated HCL attributes", cfg.FQN, p.Name)
			continue
		}
		b.checkDocsName(cfg.FQN, p, h.Name)
		if h.IsBlock {
			blk.BlockTypes[h.Name] = b.nestedBlock(cfg.FQN, p, h)
		} else {
			blk.Attributes[h.Name] = b.argument(cfg.FQN, p, h)
		}
	}
	for _, h := range hcl {
		if !props[h.Camel] && !props[h.Camel+"Attribute"] && h.Name != "alias" {
			b.errorf("%s: generated HCL attribute %s (%s) is not a jsii property", cfg.FQN, h.Name, h.Camel)
		}
	}
	if cls != nil {
		b.computedAttributes(cfg.FQN, cls, props, blk)
	}
	if len(blk.Attributes) == 0 {
		blk.Attributes = nil
	}
	if len(blk.BlockTypes) == 0 {
		blk.BlockTypes = nil
	}
	return blk
}

var docsAnchor = regexp.MustCompile(`\{@link https://registry\.terraform\.io/providers/hashicorp/google/6\.50\.0/docs[\w/-]*#(\w+) \w+#(\w+)\}`)

// checkDocsName checks the Terraform name taken from the generated code against the Registry
// link in the property's documentation.
func (b *builder) checkDocsName(where string, p *jsiiProperty, name string) {
	m := docsAnchor.FindStringSubmatch(p.Docs.text())
	if m == nil {
		// A few documentation strings are cut short by a "*/" in the provider's text: then the
		// plain camelCase → snake_case conversion of the jsii name must agree.
		if CamelToSnake(p.Name) != name {
			b.errorf("%s.%s: no Terraform Registry link in its documentation and %q is not %q", where, p.Name, name, CamelToSnake(p.Name))
		}
		return
	}
	if m[1] != name || m[2] != name {
		b.errorf("%s.%s: Terraform name %q disagrees with its documentation link #%s", where, p.Name, name, m[1])
	}
}

var scalarTypes = map[string]string{"string": "string", "boolean": "bool", "number": "number"}

// argument is a configurable attribute.
func (b *builder) argument(where string, p *jsiiProperty, h hclAttr) *schema.Attribute {
	var typ any
	jt := p.Type.withoutResolvable()
	switch {
	case h.Kind == "simple" && scalarTypes[h.Storage] != "" && jt.Primitive == h.Storage:
		typ = scalarTypes[h.Storage]
	case (h.Kind == "list" || h.Kind == "set") && (h.Storage == "stringList" || h.Storage == "numberList") &&
		jt.Collection != nil && jt.Collection.Kind == "array":
		typ = []any{h.Kind, strings.TrimSuffix(h.Storage, "List")}
	case h.Kind == "map" && h.Storage == "stringMap" && jt.Collection != nil && jt.Collection.Kind == "map":
		typ = []any{"map", "string"}
	default:
		b.errorf("%s.%s: unsupported attribute kind %s/%s with jsii type %s", where, p.Name, h.Kind, h.Storage, jt)
		typ = "dynamic"
	}
	return &schema.Attribute{Type: mustJSON(typ), Required: !p.Optional, Optional: p.Optional}
}

// nestedBlock is a block argument: cdktf types a block of at most one element as the struct
// itself and a block of many as an array of it; "struct" is the SDK's single timeouts block.
func (b *builder) nestedBlock(where string, p *jsiiProperty, h hclAttr) *schema.NestedBlock {
	jt := p.Type.withoutResolvable()
	elem, maxOne := jt.FQN, true
	if jt.Collection != nil && jt.Collection.Kind == "array" {
		elem, maxOne = jt.Collection.ElementType.FQN, false
	}
	st := b.asm.Types[elem]
	if st == nil || !st.Datatype {
		b.errorf("%s.%s: block type %s is not a jsii struct", where, p.Name, jt)
		return &schema.NestedBlock{NestingMode: "list", Block: &schema.Block{}}
	}
	nb := &schema.NestedBlock{}
	switch h.Kind {
	case "struct":
		nb.NestingMode = "single"
	case "list", "set":
		nb.NestingMode = h.Kind
		if maxOne {
			nb.MaxItems = 1
		}
		if !p.Optional {
			nb.MinItems = 1
		}
	default:
		b.errorf("%s.%s: unsupported block kind %q", where, p.Name, h.Kind)
	}
	fn := strings.ToLower(st.Name[:1]) + st.Name[1:] + "ToHclTerraform"
	hcl, ok := b.ix.HclFuncs[fn]
	if !ok {
		b.errorf("%s.%s: no generated %s", where, p.Name, fn)
	}
	nb.Block = b.block(where+"."+p.Name, st, b.ix.Classes[st.Name+"OutputReference"], hcl)
	return nb
}

// computedAttributes adds the class's getters that read no configuration property: the
// attributes the provider computes.
func (b *builder) computedAttributes(where string, cls *jsClass, props map[string]bool, blk *schema.Block) {
	for name, g := range cls.Getters {
		if props[name] || strings.HasSuffix(name, "Input") || name == "internalValue" {
			continue
		}
		snake, typ := b.computedType(where+"."+name, cls, g)
		if snake == "" {
			continue
		}
		if _, dup := blk.BlockTypes[snake]; dup {
			b.errorf("%s: computed %s is also a block", where, snake)
		}
		blk.Attributes[snake] = &schema.Attribute{Type: mustJSON(typ), Computed: true}
	}
}

var getterTypes = map[string]any{
	"String":     "string",
	"Number":     "number",
	"Boolean":    "bool",
	"List":       []any{"list", "string"},
	"NumberList": []any{"list", "number"},
	"StringMap":  []any{"map", "string"},
}

// computedType returns the Terraform name and cty type of a computed getter. A computed-only
// nested object is an attribute of type list (or set) of object, as the SDK reports it.
func (b *builder) computedType(where string, cls *jsClass, g getter) (string, any) {
	if g.Field == "" {
		t, ok := getterTypes[g.Method]
		if !ok {
			b.errorf("%s: unsupported getter method get%sAttribute", where, g.Method)
			return "", nil
		}
		if g.ToList {
			t = []any{"set", t.([]any)[1]}
		}
		return g.Snake, t
	}
	n, ok := cls.News[g.Field]
	if !ok {
		return "", nil // a getter of a configurable block, e.g. timeouts
	}
	switch {
	case n.Class == "cdktf.StringMap":
		return n.Snake, []any{"map", "string"}
	case n.Class == "cdktf.StringMapList":
		return n.Snake, []any{"list", []any{"map", "string"}}
	case strings.HasSuffix(n.Class, "List"):
		kind := "list"
		if n.WrapsSet {
			kind = "set"
		}
		return n.Snake, []any{kind, b.objectType(where, strings.TrimSuffix(n.Class, "List")+"OutputReference")}
	case strings.HasSuffix(n.Class, "OutputReference"):
		return n.Snake, []any{"list", b.objectType(where, n.Class)}
	}
	b.errorf("%s: unsupported complex field class %s", where, n.Class)
	return "", nil
}

func (b *builder) objectType(where, class string) any {
	cls := b.ix.Classes[class]
	if cls == nil {
		b.errorf("%s: no generated class %s", where, class)
		return "dynamic"
	}
	attrs := map[string]any{}
	for name, g := range cls.Getters {
		if name == "internalValue" || strings.HasSuffix(name, "Input") {
			continue
		}
		if snake, typ := b.computedType(where+"."+name, cls, g); snake != "" {
			attrs[snake] = typ
		}
	}
	return []any{"object", attrs}
}

func mustJSON(v any) json.RawMessage {
	out, err := json.Marshal(v)
	if err != nil {
		panic(err) // only strings, slices and maps
	}
	return out
}

// CamelToSnake converts a jsii (camelCase) property name to Terraform's snake_case: an
// underscore before each upper-case letter. It is only a cross-check; names come from the
// generated code and the documentation links.
func CamelToSnake(s string) string {
	var out strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				out.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		out.WriteRune(r)
	}
	return out.String()
}
