package stackfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/twittix/infra/pkg/confine"
)

// envVar is one KEY=VALUE pair read from an env file, with the line it came from.
type envVar struct {
	Key   string
	Value string
	Line  int
}

// parseEnv reads KEY=VALUE lines with the syntax of docker's env files (`docker run --env-file`,
// a service's env_file): a UTF-8 BOM is dropped, leading whitespace is trimmed, empty lines and
// lines starting with '#' are skipped, the key ends at the first '=', keeps no whitespace, and the
// value is taken as is (quotes and trailing spaces included, no interpolation). A line holding only
// a KEY takes its value from lookup; it is left out when lookup is nil or does not know the key.
//
// file names the file in errors ("" for lines given inline). Unlike docker, which stops at the
// first bad line, parseEnv reports every bad line at once, each as a *FileError with its line.
func parseEnv(r io.Reader, file string, lookup func(key string) (string, bool)) ([]envVar, error) {
	var (
		vars []envVar
		errs []error
	)
	scanner := bufio.NewScanner(r)
	for line := 1; scanner.Scan(); line++ {
		raw := scanner.Bytes()
		bad := func(format string, args ...any) {
			errs = append(errs, &FileError{File: file, Line: line, Err: fmt.Errorf(format, args...)})
		}
		if !utf8.Valid(raw) {
			bad("invalid UTF-8: save the file as UTF-8")
			continue
		}
		if line == 1 {
			raw = bytes.TrimPrefix(raw, []byte{0xEF, 0xBB, 0xBF})
		}
		text := strings.TrimLeftFunc(string(raw), unicode.IsSpace)
		if text == "" || text[0] == '#' {
			continue
		}
		key, value, hasValue := strings.Cut(text, "=")
		switch {
		case key == "":
			bad("no variable name before '=': write KEY=VALUE")
			continue
		case strings.ContainsAny(key, " \t"):
			// Only the first word is quoted: the rest of a line with no '=' may be a secret value
			// (TOKEN s3cret), which quoting would escape past the log's masks.
			bad("variable name %q is followed by whitespace: write KEY=VALUE with no space around '='", strings.Fields(key)[0])
			continue
		}
		if !hasValue {
			if lookup == nil {
				continue
			}
			v, ok := lookup(key)
			if !ok {
				continue
			}
			value = v
		}
		vars = append(vars, envVar{Key: key, Value: value, Line: line})
	}
	if err := scanner.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("a line is longer than %d bytes", bufio.MaxScanTokenSize)
		}
		errs = append(errs, &FileError{File: file, Err: fmt.Errorf("failed to read: %w", err)})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return vars, nil
}

// ParseEnvString parses KEY=VALUE lines given inline (variables for Options.Env or SecretEnv)
// into a map, with the syntax of docker's env files; later lines win. Every bad line is reported
// at once, each as a *FileError with its Line and no File ("line 2: ..."): the caller, which
// knows where the lines come from, can set File to name them.
func ParseEnvString(s string) (map[string]string, error) {
	vars, err := parseEnv(strings.NewReader(s), "", nil)
	if err != nil {
		return nil, err
	}
	return varsMap(vars), nil
}

func varsMap(vars []envVar) map[string]string {
	m := make(map[string]string, len(vars))
	for _, v := range vars {
		m[v.Key] = v.Value
	}
	return m
}

// Variables returns the variables used to interpolate compose files: those of envFiles, read in
// order (a later file wins), overridden by explicit. A line of an env file that holds only a KEY
// takes its value from explicit. The process environment is never read: a caller that wants it
// passes it in explicit. Errors of every file are reported together.
func Variables(envFiles []string, explicit map[string]string) (map[string]string, error) {
	out := map[string]string{}
	lookup := func(k string) (string, bool) { v, ok := explicit[k]; return v, ok }
	var errs []error
	for _, path := range envFiles {
		b, err := confine.ReadRegular(path, maxEnvFileSize)
		if err != nil {
			errs = append(errs, &FileError{File: path, Err: fmt.Errorf("cannot read env file: %w", err)})
			continue
		}
		vars, err := parseEnv(bytes.NewReader(b), path, lookup)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		maps.Copy(out, varsMap(vars))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	maps.Copy(out, explicit)
	return out, nil
}
