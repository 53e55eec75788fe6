package source

import "unicode/utf8"

// fnmatch reports whether name matches the shell pattern pat with the semantics of Python's
// fnmatch.fnmatch on POSIX, which gcloud uses for each path component: "*" matches any run of
// characters, "?" any one character, "[seq]" / "[!seq]" a character in / not in seq (with a-z
// ranges; a leading "]" is literal; a reversed range matches nothing); an unclosed "[" and every
// other character, the backslash included, match themselves. Matching is case-sensitive.
func fnmatch(name, pat string) bool {
	return matchTokens(toRunes(name), compileFnmatch(pat))
}

// toRunes decodes s as UTF-8, keeping each invalid byte as a distinct value above the Unicode range
// (as Python's surrogateescape keeps undecodable bytes of file names distinct).
func toRunes(s string) []rune {
	rs := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			r = invalidByteBase + rune(s[i])
		}
		rs = append(rs, r)
		i += size
	}
	return rs
}

// invalidByteBase is where toRunes maps invalid bytes: past the last Unicode code point.
const invalidByteBase = 0x110000

type tokenKind uint8

const (
	tokLiteral tokenKind = iota
	tokAny               // ?
	tokStar              // * (consecutive stars collapse)
	tokSet               // [...]
)

type token struct {
	kind   tokenKind
	r      rune
	negate bool
	ranges [][2]rune // inclusive; for tokSet
}

func compileFnmatch(pat string) []token {
	p := toRunes(pat)
	var toks []token
	for i := 0; i < len(p); {
		c := p[i]
		i++
		switch c {
		case '*':
			if len(toks) == 0 || toks[len(toks)-1].kind != tokStar {
				toks = append(toks, token{kind: tokStar})
			}
		case '?':
			toks = append(toks, token{kind: tokAny})
		case '[':
			j := i
			if j < len(p) && p[j] == '!' {
				j++
			}
			if j < len(p) && p[j] == ']' {
				j++
			}
			for j < len(p) && p[j] != ']' {
				j++
			}
			if j >= len(p) { // no closing bracket: a literal "["
				toks = append(toks, token{kind: tokLiteral, r: '['})
				continue
			}
			toks = append(toks, compileSet(p[i:j]))
			i = j + 1
		default:
			toks = append(toks, token{kind: tokLiteral, r: c})
		}
	}
	return toks
}

// compileSet compiles the inside of a bracket expression.
func compileSet(s []rune) token {
	t := token{kind: tokSet}
	if len(s) > 0 && s[0] == '!' {
		t.negate = true
		s = s[1:]
	}
	for k := 0; k < len(s); k++ {
		lo := s[k]
		// A "-" between two characters makes a range, except as the first character of the set
		// (after the negation), where Python treats it like any other character too.
		if k+2 < len(s) && s[k+1] == '-' {
			hi := s[k+2]
			if lo <= hi {
				t.ranges = append(t.ranges, [2]rune{lo, hi})
			}
			k += 2
			continue
		}
		t.ranges = append(t.ranges, [2]rune{lo, lo})
	}
	return t
}

func (t token) matchRune(r rune) bool {
	switch t.kind {
	case tokLiteral:
		return r == t.r
	case tokAny:
		return true
	case tokSet:
		in := false
		for _, rg := range t.ranges {
			if rg[0] <= r && r <= rg[1] {
				in = true
				break
			}
		}
		return in != t.negate
	}
	return false
}

// matchTokens matches name against toks, backtracking to the last star only (enough, since a star
// matches any run of characters).
func matchTokens(name []rune, toks []token) bool {
	n, t := 0, 0
	starTok, starName := -1, 0
	for n < len(name) {
		switch {
		case t < len(toks) && toks[t].kind == tokStar:
			starTok, starName = t, n
			t++
		case t < len(toks) && toks[t].matchRune(name[n]):
			n++
			t++
		case starTok >= 0:
			starName++
			n = starName
			t = starTok + 1
		default:
			return false
		}
	}
	for t < len(toks) && toks[t].kind == tokStar {
		t++
	}
	return t == len(toks)
}
