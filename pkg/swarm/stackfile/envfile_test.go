package stackfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/cli/pkg/kvfile"
	"github.com/google/go-cmp/cmp"
)

func TestParseEnv(t *testing.T) {
	t.Parallel()
	lookup := func(k string) (string, bool) {
		v, ok := map[string]string{"FROM_LOOKUP": "looked-up", "EMPTY": ""}[k]
		return v, ok
	}
	tests := []struct {
		name    string
		in      string
		want    []envVar
		wantErr []string // each error's text, in order
	}{
		{"empty", "", nil, nil},
		{"pairs", "A=1\nB=two words \n", []envVar{{"A", "1", 1}, {"B", "two words ", 2}}, nil},
		{"comments and blanks", "# c\n\n   \n  # indented\nA=1\n", []envVar{{"A", "1", 5}}, nil},
		{"leading space trimmed", "  \tA=1", []envVar{{"A", "1", 1}}, nil},
		{"quotes kept", `A="quoted"` + "\nB='x'", []envVar{{"A", `"quoted"`, 1}, {"B", "'x'", 2}}, nil},
		{"equals in value", "URL=a=b=c", []envVar{{"URL", "a=b=c", 1}}, nil},
		{"no interpolation", "A=$HOME ${X}", []envVar{{"A", "$HOME ${X}", 1}}, nil},
		{"bom", "\ufeffA=1", []envVar{{"A", "1", 1}}, nil},
		{"bare keys looked up", "FROM_LOOKUP\nEMPTY\nUNKNOWN\n", []envVar{{"FROM_LOOKUP", "looked-up", 1}, {"EMPTY", "", 2}}, nil},
		{"crlf line ends", "A=1\r\nB=2\r\n", []envVar{{"A", "1", 1}, {"B", "2", 2}}, nil},
		{"every bad line reported", "=x\nOK=1\nA B=1\nC\t=2\n", nil, []string{
			"env:1: no variable name before '=': write KEY=VALUE",
			"env:3: variable name \"A\" is followed by whitespace: write KEY=VALUE with no space around '='",
			"env:4: variable name \"C\" is followed by whitespace: write KEY=VALUE with no space around '='",
		}},
		{"invalid utf-8", "A=\xff\n", nil, []string{"env:1: invalid UTF-8: save the file as UTF-8"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseEnv(strings.NewReader(tc.in), "env", lookup)
			var gotErr []string
			for _, fe := range FileErrors(err) {
				gotErr = append(gotErr, fe.Error())
			}
			if diff := cmp.Diff(tc.wantErr, gotErr); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("vars (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVariables(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := filepath.Join(dir, "a.env")
	b := filepath.Join(dir, "b.env")
	bad := filepath.Join(dir, "bad.env")
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(a, "X=from-a\nY=from-a\nFROM_INPUT\n")
	write(b, "Y=from-b\n")
	write(bad, "OK=1\nNOT VALID=1\n")

	got, err := Variables([]string{a, b}, map[string]string{"Z": "input", "FROM_INPUT": "v"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"X": "from-a", "Y": "from-b", "Z": "input", "FROM_INPUT": "v"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("variables (-want +got):\n%s", diff)
	}
	got, err = Variables([]string{a}, map[string]string{"X": "input wins"})
	if err != nil || got["X"] != "input wins" {
		t.Errorf("X = %q (%v), want the explicit value to win", got["X"], err)
	}

	_, err = Variables([]string{bad, filepath.Join(dir, "missing.env")}, nil)
	fes := FileErrors(err)
	if len(fes) != 2 || fes[0].File != bad || fes[0].Line != 2 || fes[1].File != filepath.Join(dir, "missing.env") {
		t.Errorf("errors = %v, want bad.env line 2 and missing.env, together", err)
	}
}

func TestParseEnvString(t *testing.T) {
	t.Parallel()
	got, err := ParseEnvString("A=1\nB=2\nA=3\n")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"A": "3", "B": "2"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_, err = ParseEnvString("A=1\nBAD KEY=1\n=2")
	want := "line 2: variable name \"BAD\" is followed by whitespace: write KEY=VALUE with no space around '='\n" +
		"line 3: no variable name before '=': write KEY=VALUE"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want every bad line by its number:\n%s", err, want)
	}
	if fes := FileErrors(err); len(fes) != 2 || fes[0].File != "" || fes[0].Line != 2 {
		t.Errorf("file errors = %v, want two without a file, the first on line 2", fes)
	}
}

// FuzzParseEnv checks parseEnv against docker's own parser (docker/cli's pkg/kvfile): both accept
// or reject the same input, and accepted input gives the same variables.
func FuzzParseEnv(f *testing.F) {
	for _, seed := range []string{
		"", "A=1", "A=1\nB=2", "# c\nA", "\ufeffA=1", " A=1 ", "=x", "A B=1", "A\t=1", "A=\xff",
		"A\r\n", "KEY", "K=v=w\n\n#x\n  Y=2", strings.Repeat("x", 70000),
	} {
		f.Add([]byte(seed))
	}
	lookup := func(k string) (string, bool) {
		if strings.HasPrefix(k, "K") {
			return "v-" + k, true
		}
		return "", false
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := parseEnv(bytes.NewReader(in), "fuzz", lookup)
		want, werr := kvfile.ParseFromReader(bytes.NewReader(in), lookup)
		if (err == nil) != (werr == nil) {
			t.Fatalf("parseEnv error = %v, docker's = %v", err, werr)
		}
		if err != nil {
			if len(FileErrors(err)) == 0 {
				t.Fatalf("error %v carries no FileError", err)
			}
			return
		}
		lines := []string{}
		for _, v := range got {
			lines = append(lines, v.Key+"="+v.Value)
			if v.Line < 1 {
				t.Fatalf("var %q has line %d", v.Key, v.Line)
			}
		}
		if diff := cmp.Diff(want, lines); diff != "" {
			t.Fatalf("parseEnv differs from docker's parser (-docker +ours):\n%s", diff)
		}
	})
}
