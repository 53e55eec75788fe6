package action

import (
	"encoding/json"
	"html"
	"io"
	"sort"
	"strings"
	"sync"
)

// redactor writes to w with every registered secret replaced by ***. Each Write is redacted on
// its own, so callers write whole lines.
type redactor struct {
	w io.Writer

	wmu sync.Mutex // serialises writes to w

	mu       sync.Mutex
	secrets  []string // longest first, so a secret containing another is replaced whole
	replacer *strings.Replacer
}

// add registers secret, and the forms it takes once escaped for Markdown, HTML or a JSON string,
// so that a secret is redacted wherever a summary or an output quotes it.
func (r *redactor) add(secret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, form := range escapedForms(secret) {
		if !slicesContains(r.secrets, form) {
			r.secrets = append(r.secrets, form)
		}
	}
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	pairs := make([]string, 0, 2*len(r.secrets))
	for _, s := range r.secrets {
		pairs = append(pairs, s, "***")
	}
	r.replacer = strings.NewReplacer(pairs...)
}

func (r *redactor) redact(s string) string {
	r.mu.Lock()
	rep := r.replacer
	r.mu.Unlock()
	if rep == nil {
		return s
	}
	return rep.Replace(s)
}

func (r *redactor) Write(p []byte) (int, error) {
	s := r.redact(string(p))
	r.wmu.Lock()
	defer r.wmu.Unlock()
	if _, err := io.WriteString(r.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeRaw writes s to w unredacted, serialised with Write.
func (r *redactor) writeRaw(s string) {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	_, _ = io.WriteString(r.w, s)
}

func escapedForms(secret string) []string {
	forms := []string{secret, Escape(secret), html.EscapeString(secret)}
	if b, err := json.Marshal(secret); err == nil {
		forms = append(forms, string(b[1:len(b)-1]))
	}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(secret); err == nil {
		forms = append(forms, strings.TrimSuffix(buf.String(), "\n")[1:len(strings.TrimSuffix(buf.String(), "\n"))-1])
	}
	return forms
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
