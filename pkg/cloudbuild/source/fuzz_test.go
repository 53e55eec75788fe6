package source

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// pyTranslate is a second, independent implementation of fnmatch: a port of Python's
// fnmatch.translate (3.9+) to a Go regular expression. FuzzFnmatch checks both agree.
func pyTranslate(pat []rune) string {
	var res strings.Builder
	lastStar := false
	for i, n := 0, len(pat); i < n; {
		c := pat[i]
		i++
		switch c {
		case '*':
			if !lastStar {
				res.WriteString(".*")
			}
			lastStar = true
			continue
		case '?':
			res.WriteString(".")
		case '[':
			j := i
			if j < n && pat[j] == '!' {
				j++
			}
			if j < n && pat[j] == ']' {
				j++
			}
			for j < n && pat[j] != ']' {
				j++
			}
			if j >= n {
				res.WriteString(`\[`)
				break
			}
			var chunks [][]rune
			if !slices.Contains(pat[i:j], '-') {
				chunks = [][]rune{pat[i:j]}
			} else {
				k := i + 1
				if pat[i] == '!' {
					k = i + 2
				}
				for {
					idx := -1
					for m := k; m < j; m++ {
						if pat[m] == '-' {
							idx = m
							break
						}
					}
					if idx < 0 {
						break
					}
					chunks = append(chunks, pat[i:idx])
					i = idx + 1
					k = idx + 3
				}
				if chunk := pat[i:j]; len(chunk) > 0 {
					chunks = append(chunks, chunk)
				} else {
					last := len(chunks) - 1
					chunks[last] = append(slices.Clone(chunks[last]), '-')
				}
				for k := len(chunks) - 1; k > 0; k-- {
					prev := chunks[k-1]
					if prev[len(prev)-1] > chunks[k][0] {
						chunks[k-1] = append(slices.Clone(prev[:len(prev)-1]), chunks[k][1:]...)
						chunks = slices.Delete(chunks, k, k+1)
					}
				}
			}
			i = j + 1
			var stuff []rune
			for ci, ch := range chunks {
				if ci > 0 {
					stuff = append(stuff, 0) // a range operator
				}
				stuff = append(stuff, ch...)
			}
			switch {
			case len(stuff) == 0:
				res.WriteString(`[^\x00-\x{10FFFF}]`) // never matches
			case len(stuff) == 1 && stuff[0] == '!':
				res.WriteString(".")
			default:
				res.WriteString("[")
				if stuff[0] == '!' {
					res.WriteString("^")
					stuff = stuff[1:]
				}
				for _, r := range stuff {
					if r == 0 {
						res.WriteString("-")
					} else {
						fmt.Fprintf(&res, `\x{%x}`, r)
					}
				}
				res.WriteString("]")
			}
		default:
			res.WriteString(regexp.QuoteMeta(string(c)))
		}
		lastStar = false
	}
	return `^(?s:` + res.String() + `)$`
}

func FuzzFnmatch(f *testing.F) {
	for _, seed := range [][2]string{
		{"foo.txt", "*.txt"}, {"]", "[]]"}, {"-", "[a-c-e]"}, {"b", "[z-a]"}, {"q", "[!z-a]"},
		{"a", "[az-ab]"}, {"[!]", "[!]"}, {`a\b`, `a[\]b`}, {"x-", "[--a]*"}, {"ab", "[!-a]?"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, name, pat string) {
		if !utf8.ValidString(name) || !utf8.ValidString(pat) || strings.ContainsRune(pat, 0) {
			t.Skip()
		}
		re, err := regexp.Compile(pyTranslate([]rune(pat)))
		if err != nil {
			t.Skip() // e.g. a reversed range left by chunk merging; Python would raise too
		}
		if got, want := fnmatch(name, pat), re.MatchString(name); got != want {
			t.Errorf("fnmatch(%q, %q) = %v, Python's translation says %v", name, pat, got, want)
		}
	})
}

// FuzzIgnore checks properties of the ignore rules on arbitrary files and paths: parsing never
// fails without an include, nothing under an excluded directory is included, and a plain name
// pattern (no special characters) excludes exactly the paths whose last component it is.
func FuzzIgnore(f *testing.F) {
	f.Add("*.log\n!keep.log\nbuild/\n", "build/keep.log", "keep")
	f.Add("a/**/b\n/x\n\\#y\nz\\ \n", "a/q/b/c", "name")
	f.Add("**\n!src\n", "src/main.go", "main.go")
	f.Fuzz(func(t *testing.T, text, path, name string) {
		if strings.Contains(text, "!include:") {
			t.Skip()
		}
		rules, err := ParseIgnore(text, "", 1) // no include: the directory is never read
		if err != nil {
			t.Fatalf("ParseIgnore(%q) = %v", text, err)
		}
		path = strings.Trim(path, "/")
		if path == "" || strings.Contains(path, "//") || slices.Contains(strings.Split(path, "/"), ".") || slices.Contains(strings.Split(path, "/"), "..") {
			t.Skip()
		}
		if rules.Included(path, false) {
			for _, prefix := range pathPrefixes(path)[1:] {
				if prefix != path && !rules.Included(prefix, true) {
					t.Errorf("rules %q include %q but exclude its directory %q", text, path, prefix)
				}
			}
		}
		if name == "" || strings.ContainsAny(name, "*?[\\/!# \r\n\v\f\x1c\x1d\x1e\u0085\u2028\u2029") {
			return
		}
		plain, _ := ParseIgnore(name+"\n", "", 0)
		base := path[strings.LastIndexByte(path, '/')+1:]
		inDir := slices.Contains(strings.Split(path, "/")[:strings.Count(path, "/")], name)
		if got, want := plain.Included(path, false), base != name && !inDir; got != want {
			t.Errorf("pattern %q: Included(%q) = %v, want %v", name, path, got, want)
		}
	})
}
