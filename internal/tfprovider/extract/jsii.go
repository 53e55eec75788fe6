package extract

import (
	"encoding/json"
	"strings"
)

// assembly is the part of a .jsii manifest the extraction reads.
type assembly struct {
	Name    string               `json:"name"`
	Version string               `json:"version"`
	Types   map[string]*jsiiType `json:"types"`
}

type jsiiType struct {
	FQN         string          `json:"fqn"`
	Kind        string          `json:"kind"`
	Name        string          `json:"name"`
	Base        string          `json:"base"`
	Datatype    bool            `json:"datatype"`
	Docs        jsiiDocs        `json:"docs"`
	Initializer *jsiiCallable   `json:"initializer"`
	Properties  []*jsiiProperty `json:"properties"`
}

type jsiiDocs struct {
	Summary string            `json:"summary"`
	Remarks string            `json:"remarks"`
	Custom  map[string]string `json:"custom"`
}

// text is all of the documentation: jsii moves text after an @tag into Custom.
func (d jsiiDocs) text() string {
	parts := []string{d.Summary, d.Remarks}
	for k, v := range d.Custom {
		parts = append(parts, "@"+k+v)
	}
	return strings.Join(parts, "\n")
}

type jsiiCallable struct {
	Parameters []struct {
		Name string      `json:"name"`
		Type jsiiTypeRef `json:"type"`
	} `json:"parameters"`
}

type jsiiProperty struct {
	Name      string      `json:"name"`
	Optional  bool        `json:"optional"`
	Static    bool        `json:"static"`
	Immutable bool        `json:"immutable"`
	Type      jsiiTypeRef `json:"type"`
	Docs      jsiiDocs    `json:"docs"`
}

// jsiiTypeRef is a jsii type reference: a primitive, a named type, a collection or a union.
type jsiiTypeRef struct {
	Primitive  string `json:"primitive"`
	FQN        string `json:"fqn"`
	Collection *struct {
		Kind        string      `json:"kind"`
		ElementType jsiiTypeRef `json:"elementtype"`
	} `json:"collection"`
	Union *struct {
		Types []jsiiTypeRef `json:"types"`
	} `json:"union"`
}

// withoutResolvable drops cdktf.IResolvable from a union, which cdktf adds to most properties.
func (r jsiiTypeRef) withoutResolvable() jsiiTypeRef {
	if r.Union == nil {
		return r
	}
	var rest []jsiiTypeRef
	for _, t := range r.Union.Types {
		if t.FQN != "cdktf.IResolvable" {
			rest = append(rest, t)
		}
	}
	if len(rest) == 1 {
		return rest[0]
	}
	return r
}

// String renders the reference for error messages.
func (r jsiiTypeRef) String() string {
	b, _ := json.Marshal(r)
	return string(b)
}
