package subst

import (
	"fmt"
	"sort"
	"strings"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
)

// Param is one template parameter found in a string: $KEY, ${KEY}, or the escape $$.
type Param struct {
	// Start and End delimit the parameter in the string: s[Start:End].
	Start, End int
	// Key is the substitution key; empty for the escape $$.
	Key string
}

// Escape reports whether the parameter is $$ (a literal dollar sign).
func (p Param) Escape() bool { return p.Key == "" }

// Params finds the parameters of s, left to right, the way Cloud Build does: "$$" is an escape,
// "${KEY}" and "$KEY" are parameters when KEY matches [A-Z_][A-Z0-9_]*; any other "$" is literal.
func Params(s string) []Param {
	var params []Param
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			continue
		}
		if i+1 < len(s) && s[i+1] == '$' {
			params = append(params, Param{Start: i, End: i + 2})
			i++
			continue
		}
		if p, ok := paramAt(s, i); ok {
			params = append(params, p)
			i = p.End - 1
		}
	}
	return params
}

// paramAt parses a parameter starting with the "$" at s[i].
func paramAt(s string, i int) (Param, bool) {
	j := i + 1
	braced := j < len(s) && s[j] == '{'
	if braced {
		j++
	}
	start := j
	if j >= len(s) || !isKeyStart(s[j]) {
		return Param{}, false
	}
	for j < len(s) && isKeyChar(s[j]) {
		j++
	}
	key := s[start:j]
	if braced {
		if j >= len(s) || s[j] != '}' {
			// "${KEY" without its brace: Cloud Build's expression then reads the unbraced form,
			// which cannot start with "{", so the "$" is literal.
			return Param{}, false
		}
		j++
	}
	return Param{Start: i, End: j, Key: key}, true
}

func isKeyStart(c byte) bool { return c == '_' || c >= 'A' && c <= 'Z' }
func isKeyChar(c byte) bool  { return isKeyStart(c) || c >= '0' && c <= '9' }

// Replace substitutes the parameters of s with values; keys without a value become "" and "$$"
// becomes "$".
func Replace(s string, values map[string]string) string {
	params := Params(s)
	if len(params) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, p := range params {
		b.WriteString(s[last:p.Start])
		if p.Escape() {
			b.WriteByte('$')
		} else {
			b.WriteString(values[p.Key])
		}
		last = p.End
	}
	b.WriteString(s[last:])
	return b.String()
}

// Field is a templated string field of a build, by path (for messages) and pointer.
type Field struct {
	Path string
	Ptr  *string
}

// Fields returns the string fields of b that Cloud Build substitutes: each step's name, args, env,
// dir, entrypoint and script, images, tags, artifacts.objects location and paths, logsBucket,
// serviceAccount, options.env, options.pool.name and the Secret Manager versions of
// availableSecrets.
func Fields(b *cloudbuildpb.Build) []Field {
	var fs []Field
	add := func(path string, p *string) { fs = append(fs, Field{Path: path, Ptr: p}) }
	for i, st := range b.GetSteps() {
		pre := fmt.Sprintf("steps[%d].", i)
		add(pre+"name", &st.Name)
		for j := range st.Args {
			add(fmt.Sprintf("%sargs[%d]", pre, j), &st.Args[j])
		}
		for j := range st.Env {
			add(fmt.Sprintf("%senv[%d]", pre, j), &st.Env[j])
		}
		add(pre+"dir", &st.Dir)
		add(pre+"entrypoint", &st.Entrypoint)
		add(pre+"script", &st.Script)
	}
	for i := range b.Images {
		add(fmt.Sprintf("images[%d]", i), &b.Images[i])
	}
	for i := range b.Tags {
		add(fmt.Sprintf("tags[%d]", i), &b.Tags[i])
	}
	if o := b.GetArtifacts().GetObjects(); o != nil {
		add("artifacts.objects.location", &o.Location)
		for i := range o.Paths {
			add(fmt.Sprintf("artifacts.objects.paths[%d]", i), &o.Paths[i])
		}
	}
	add("logsBucket", &b.LogsBucket)
	add("serviceAccount", &b.ServiceAccount)
	if o := b.GetOptions(); o != nil {
		for i := range o.Env {
			add(fmt.Sprintf("options.env[%d]", i), &o.Env[i])
		}
		if o.Pool != nil {
			add("options.pool.name", &o.Pool.Name)
		}
	}
	for i, s := range b.GetAvailableSecrets().GetSecretManager() {
		add(fmt.Sprintf("availableSecrets.secretManager[%d].versionName", i), &s.VersionName)
	}
	return fs
}

// Apply substitutes the templated fields of b in place with values.
func Apply(b *cloudbuildpb.Build, values map[string]string) {
	for _, f := range Fields(b) {
		*f.Ptr = Replace(*f.Ptr, values)
	}
}

// Referenced returns the keys the templated fields of b refer to, sorted.
func Referenced(b *cloudbuildpb.Build) []string {
	seen := map[string]bool{}
	for _, f := range Fields(b) {
		for _, p := range Params(*f.Ptr) {
			if !p.Escape() {
				seen[p.Key] = true
			}
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
