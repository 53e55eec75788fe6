package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The checks of this package read the Terraform files as text: github.com/hashicorp/hcl/v2 is
// not in the module graph, and these checks need only block boundaries, which a scanner aware
// of strings, comments and heredocs finds reliably.

// Kinds of the bytes of a source.
const (
	code = iota
	str
	comment
)

// classify returns the kind of each byte of src: code, inside a string or heredoc (its quotes
// and interpolations included), or inside a comment.
func classify(src string) []byte {
	kind := make([]byte, len(src))
	// depth counts the braces of the interpolations (${ ... }) open inside strings; inString
	// says whether the innermost context is a string.
	type frame struct {
		inString bool
		braces   int
	}
	stack := []frame{{}}
	mark := func(from, to int, k byte) {
		for i := from; i < to && i < len(src); i++ {
			kind[i] = k
		}
	}
	inner := func() bool { return len(stack) > 1 } // within the outermost string
	for i := 0; i < len(src); {
		top := &stack[len(stack)-1]
		c := src[i]
		if top.inString {
			kind[i] = str
			switch {
			case c == '\\':
				mark(i, i+2, str)
				i += 2
			case c == '"':
				stack = stack[:len(stack)-1]
				i++
			case strings.HasPrefix(src[i:], "${") || strings.HasPrefix(src[i:], "%{"):
				mark(i, i+2, str)
				stack = append(stack, frame{})
				i += 2
			default:
				i++
			}
			continue
		}
		k := byte(code)
		if inner() {
			k = str
		}
		switch {
		case c == '"':
			kind[i] = str
			stack = append(stack, frame{inString: true})
			i++
		case c == '#' || strings.HasPrefix(src[i:], "//"):
			end := strings.IndexByte(src[i:], '\n')
			if end < 0 {
				end = len(src) - i
			}
			mark(i, i+end, comment)
			i += end
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				end = len(src) - i - 2
			}
			mark(i, i+end+4, comment)
			i += end + 4
		case strings.HasPrefix(src[i:], "<<") && heredocRE.MatchString(src[i:]):
			m := heredocRE.FindStringSubmatch(src[i:])
			end := len(m[0])
			closing := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(m[1]) + `\s*$`).FindStringIndex(src[i+end:])
			if closing == nil {
				end = len(src) - i
			} else {
				end += closing[1]
			}
			mark(i, i+end, str)
			i += end
		case c == '{' && inner():
			kind[i] = k
			top.braces++
			i++
		case c == '}' && inner():
			kind[i] = k
			if top.braces == 0 {
				stack = stack[:len(stack)-1] // back in the string
			} else {
				top.braces--
			}
			i++
		default:
			kind[i] = k
			i++
		}
	}
	return kind
}

var heredocRE = regexp.MustCompile(`^<<-?([A-Za-z_][A-Za-z0-9_]*)\n`)

// block is a block of a Terraform file: its labels and the text between its braces.
type block struct {
	Type   string
	Labels []string
	File   string
	Body   string
	kinds  []byte
}

var blockHeadRE = regexp.MustCompile(`(?m)^[ \t]*(resource|data|module|variable|output|locals|terraform|provider|lifecycle|[a-z_]+)((?:[ \t]+"[^"\n]*")*)[ \t]*\{`)

// blocks returns the blocks of src at its top level (depth 0 of code braces).
func blocks(file, src string) []block {
	kinds := classify(src)
	return blocksIn(file, src, kinds)
}

func blocksIn(file, src string, kinds []byte) []block {
	var out []block
	depth := 0
	heads := blockHeadRE.FindAllStringSubmatchIndex(src, -1)
	next := 0
	for i := 0; i < len(src); i++ {
		for next < len(heads) && heads[next][0] < i {
			next++
		}
		if depth == 0 && next < len(heads) && heads[next][0] == i && kinds[heads[next][2]] == code {
			h := heads[next]
			open := h[1] - 1
			closing := matchBrace(src, kinds, open)
			if closing < 0 {
				return out
			}
			var labels []string
			for _, l := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(src[h[4]:h[5]], -1) {
				labels = append(labels, l[1])
			}
			out = append(out, block{Type: src[h[2]:h[3]], Labels: labels, File: file, Body: src[open+1 : closing], kinds: kinds[open+1 : closing]})
			i = closing
			continue
		}
		if kinds[i] != code {
			continue
		}
		switch src[i] {
		case '{':
			depth++
		case '}':
			depth--
		}
	}
	return out
}

// matchBrace returns the offset of the brace closing the one at open, or -1.
func matchBrace(src string, kinds []byte, open int) int {
	depth := 0
	for i := open; i < len(src); i++ {
		if kinds[i] != code {
			continue
		}
		switch src[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// Children returns the nested blocks of b at its first level.
func (b block) Children() []block { return blocksIn(b.File, b.Body, b.kinds) }

// List returns the items of the list attribute name of b (`name = [a, b]`), each with its
// comments and spaces removed, and whether the attribute is there; a value that is not a list
// (e.g. `all`) is returned as one item.
func (b block) List(name string) ([]string, bool) {
	re := regexp.MustCompile(`(?m)^[ \t]*` + regexp.QuoteMeta(name) + `[ \t]*=[ \t]*`)
	for _, m := range re.FindAllStringIndex(b.Body, -1) {
		if b.kinds[m[0]+strings.Index(b.Body[m[0]:], name)] != code || b.depthAt(m[0]) != 0 {
			continue
		}
		start := m[1]
		if start >= len(b.Body) || b.Body[start] != '[' {
			end := strings.IndexByte(b.Body[start:], '\n')
			if end < 0 {
				end = len(b.Body) - start
			}
			return []string{strings.TrimSpace(b.Body[start : start+end])}, true
		}
		closing := matchBrace(b.Body, b.kinds, start)
		if closing < 0 {
			return nil, true
		}
		var items []string
		var cur strings.Builder
		depth := 0
		for i := start + 1; i < closing; i++ {
			c := b.Body[i]
			switch b.kinds[i] {
			case comment:
				continue
			case code:
				switch c {
				case '[', '{', '(':
					depth++
				case ']', '}', ')':
					depth--
				case ',':
					if depth == 0 {
						items = append(items, cur.String())
						cur.Reset()
						continue
					}
				}
				if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
					continue
				}
			}
			cur.WriteByte(c)
		}
		items = append(items, cur.String())
		var out []string
		for _, it := range items {
			if it != "" {
				out = append(out, it)
			}
		}
		return out, true
	}
	return nil, false
}

// depthAt returns the brace depth of code at offset i of b's body.
func (b block) depthAt(i int) int {
	depth := 0
	for j := 0; j < i; j++ {
		if b.kinds[j] != code {
			continue
		}
		switch b.Body[j] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
	}
	return depth
}

// tfFiles returns every .tf file under dir, with its contents.
func tfFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir // .terraform
		}
		if !d.IsDir() && strings.HasSuffix(path, ".tf") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files[path] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no .tf file under %s", dir)
	}
	return files
}

func (b block) String() string {
	return fmt.Sprintf("%s %s in %s", b.Type, strings.Join(b.Labels, "."), b.File)
}

func TestBlocksSkipStringsAndComments(t *testing.T) {
	src := `
# resource "google_fake" "commented" {
resource "google_a" "x" {
  name = "a { not a brace ${var.x == "}" ? "{" : "b"}"
  /* } */
  lifecycle {
    ignore_changes = [
      client, # traffic,
      annotations["a/b"],
      template[0].containers[0].image,
    ]
  }
  body = <<EOT
}
EOT
}
data "google_b" "y" {}
`
	got := blocks("x.tf", src)
	if len(got) != 2 || got[0].Type != "resource" || got[0].Labels[0] != "google_a" || got[1].Labels[0] != "google_b" {
		t.Fatalf("blocks = %v, want resource google_a.x and data google_b.y", got)
	}
	children := got[0].Children()
	if len(children) != 1 || children[0].Type != "lifecycle" {
		t.Fatalf("children of google_a.x = %v, want one lifecycle block", children)
	}
	items, ok := children[0].List("ignore_changes")
	want := []string{"client", `annotations["a/b"]`, "template[0].containers[0].image"}
	if !ok || strings.Join(items, " ") != strings.Join(want, " ") {
		t.Errorf("ignore_changes = %q (found %v), want %q", items, ok, want)
	}
}
