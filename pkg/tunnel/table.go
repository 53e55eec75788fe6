package tunnel

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// URL returns the local URL of b: http://127.0.0.1:PORT.
func (b Binding) URL() string { return "http://" + b.LocalAddr() }

// Table renders the bindings as an aligned text table: service, remote port, local URL, and a
// note when the local port is not the remote one because it was taken.
func Table(bindings []Binding) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SERVICE\tREMOTE PORT\tLOCAL URL\t")
	for _, bd := range bindings {
		name := bd.Name
		if name == "" {
			name = "-L " + bd.Forward.String()
		}
		note := ""
		if bd.Moved {
			note = fmt.Sprintf("(local port %d is taken)", bd.Port)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", name, bd.Remote(), bd.URL(), note)
	}
	w.Flush()
	return b.String()
}
