package extract

import (
	"regexp"
	"strings"
)

// hclAttr is one entry of a generated synthesizeHclAttributes() or xToHclTerraform(struct):
// the Terraform (snake_case) name of a configuration property and how cdktf renders it.
type hclAttr struct {
	Name    string // Terraform name, e.g. "lifecycle_rule"
	Camel   string // jsii property name, e.g. "lifecycleRule"
	IsBlock bool
	Kind    string // "simple", "list", "set", "map" or "struct"
	Storage string // "string", "stringList", ..., or a class name for blocks
}

// getter is a property getter of a generated class.
type getter struct {
	Method string // "String", "Number", "Boolean", "List", "NumberList", "StringMap"; "" for a field
	Snake  string // Terraform name read by the getter
	ToList bool   // wrapped in cdktf.Fn.tolist: the attribute is a set
	Field  string // for `return this._x;`: x
}

// newInit is the initialisation of a complex field: this._x = new Class(this, "snake", wrapsSet).
type newInit struct {
	Class    string
	Snake    string
	WrapsSet bool
}

// jsClass is one generated class of lib/*/index.js.
type jsClass struct {
	Name    string
	Base    string
	Hcl     []hclAttr
	Getters map[string]getter
	News    map[string]newInit
}

// jsIndex is what the extraction needs from the generated JavaScript of every module.
type jsIndex struct {
	Classes  map[string]*jsClass
	HclFuncs map[string][]hclAttr // by function name, e.g. storageBucketCorsToHclTerraform
	TFTypes  map[string]string    // class name → Terraform type, e.g. StorageBucket → google_storage_bucket
}

var (
	classStart = regexp.MustCompile(`^class (\w+) extends ([\w.]+) \{`)
	hclFunc    = regexp.MustCompile(`^function (\w+ToHclTerraform)\(struct\) \{`)
	tfType     = regexp.MustCompile(`(?m)^(\w+)\.tfResourceType = "([^"]+)";`)
	hclEntry   = regexp.MustCompile(`(\w+): \{\s*value: ([^\n]*),\s*isBlock: (true|false),\s*type: "(\w+)",\s*storageClassType: "(\w+)",\s*\}`)
	fieldRef   = regexp.MustCompile(`(?:this\._|struct\.)(\w+)`)
	getterRe   = regexp.MustCompile(`get (\w+)\(\) \{\n\s*return ([^\n]*);\n\s*\}`)
	attrCall   = regexp.MustCompile(`^(cdktf\.Fn\.tolist\()?this\.get(\w*)Attribute\('([^']+)'\)\)?$`)
	fieldRet   = regexp.MustCompile(`^this\._(\w+)$`)
	newRe      = regexp.MustCompile(`this\._(\w+) = new ([\w.]+)\(this, "([^"]+)"(?:, (true|false))?\);`)
)

func newJSIndex() *jsIndex {
	return &jsIndex{Classes: map[string]*jsClass{}, HclFuncs: map[string][]hclAttr{}, TFTypes: map[string]string{}}
}

// add parses one generated index.js.
func (ix *jsIndex) add(src string) {
	for _, m := range tfType.FindAllStringSubmatch(src, -1) {
		ix.TFTypes[m[1]] = m[2]
	}
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		cm := classStart.FindStringSubmatch(lines[i])
		fm := hclFunc.FindStringSubmatch(lines[i])
		if cm == nil && fm == nil {
			continue
		}
		j := i + 1
		for j < len(lines) && lines[j] != "}" {
			j++
		}
		body := strings.Join(lines[i:j], "\n")
		if cm != nil {
			ix.Classes[cm[1]] = parseClass(cm[1], cm[2], body)
		} else {
			ix.HclFuncs[fm[1]] = parseHcl(body)
		}
		i = j
	}
}

func parseClass(name, base, body string) *jsClass {
	c := &jsClass{Name: name, Base: base, Getters: map[string]getter{}, News: map[string]newInit{}}
	if i := strings.Index(body, "synthesizeHclAttributes() {"); i >= 0 {
		c.Hcl = parseHcl(body[i:])
	}
	for _, m := range getterRe.FindAllStringSubmatch(body, -1) {
		if a := attrCall.FindStringSubmatch(m[2]); a != nil {
			c.Getters[m[1]] = getter{Method: a[2], Snake: a[3], ToList: a[1] != ""}
		} else if f := fieldRet.FindStringSubmatch(m[2]); f != nil {
			c.Getters[m[1]] = getter{Field: f[1]}
		}
	}
	for _, m := range newRe.FindAllStringSubmatch(body, -1) {
		class := m[2]
		if i := strings.LastIndex(class, "."); i >= 0 && !strings.HasPrefix(class, "cdktf.") {
			class = class[i+1:] // a class imported from another file, e.g. structs0_1.X
		}
		c.News[m[1]] = newInit{Class: class, Snake: m[3], WrapsSet: m[4] == "true"}
	}
	return c
}

// parseHcl reads the entries of the first `const attrs = { ... };` in body.
func parseHcl(body string) []hclAttr {
	i := strings.Index(body, "const attrs = {")
	if i < 0 {
		return nil
	}
	end := strings.Index(body[i:], "\n        };")
	if alt := strings.Index(body[i:], "\n    };"); end < 0 || (alt >= 0 && alt < end) {
		end = alt
	}
	if end < 0 {
		end = len(body) - i
	}
	var out []hclAttr
	for _, m := range hclEntry.FindAllStringSubmatch(body[i:i+end], -1) {
		a := hclAttr{Name: m[1], IsBlock: m[3] == "true", Kind: m[4], Storage: m[5]}
		if f := fieldRef.FindStringSubmatch(m[2]); f != nil {
			a.Camel = f[1]
		}
		out = append(out, a)
	}
	return out
}
