package source

import (
	"testing"
	"unicode"
)

// pythonSpaces are the code points for which str.isspace() holds in the Python gcloud 528
// bundles (3.12), as that Python lists them.
var pythonSpaces = []rune{
	0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
	0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
	0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
}

func TestIsPythonSpace(t *testing.T) {
	t.Parallel()
	want := map[rune]bool{}
	for _, r := range pythonSpaces {
		want[r] = true
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if got := isPythonSpace(r); got != want[r] {
			t.Errorf("isPythonSpace(%U) = %v, Python's str.isspace() says %v", r, got, want[r])
		}
	}
}
