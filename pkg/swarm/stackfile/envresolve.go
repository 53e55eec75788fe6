package stackfile

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/docker/cli/cli/compose/template"

	"github.com/twittix/infra/pkg/confine"
)

// resolveEnvFiles moves the variables of each service's env_file into its environment, before
// docker/cli's loader sees the file. The loader would read them itself, but it looks bare KEY lines
// up in the process environment; here they are looked up in the deploy's variables only. The
// result is the same as docker's otherwise: environment wins over env_file, a later env_file wins
// over an earlier one, and values are taken literally (their '$' are escaped from interpolation).
//
// The env files are read only inside root, when they are regular files of at most 1 MiB.
func resolveEnvFiles(f parsedFile, workingDir string, root confine.Root, lookup template.Mapping) error {
	services, _ := f.dict["services"].(map[string]any)
	var errs []error
	for name, raw := range services {
		svc, ok := raw.(map[string]any)
		if !ok {
			continue
		}
		rawFiles, ok := svc["env_file"]
		if !ok {
			continue
		}
		// Whatever happens below, the loader must not read env_file itself (unconfined).
		delete(svc, "env_file")
		var envFiles []string
		switch v := rawFiles.(type) {
		case string:
			envFiles = []string{v}
		case []any:
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					errs = append(errs, &FileError{File: f.path, Line: lineOf(f.src, []string{"services", name, "env_file"}),
						Err: fmt.Errorf("services.%s.env_file must be a path or a list of paths", name)})
					continue
				}
				envFiles = append(envFiles, s)
			}
		default:
			errs = append(errs, &FileError{File: f.path, Line: lineOf(f.src, []string{"services", name, "env_file"}),
				Err: fmt.Errorf("services.%s.env_file must be a path or a list of paths", name)})
			continue
		}
		fromFiles := map[string]string{}
		for _, p := range envFiles {
			p, err := template.Substitute(p, lookup)
			if err != nil {
				errs = append(errs, &FileError{File: f.path, Line: lineOf(f.src, []string{"services", name, "env_file"}), Err: err})
				continue
			}
			if !filepath.IsAbs(p) {
				p = filepath.Join(workingDir, p)
			}
			path, b, err := root.ReadFile(p, maxEnvFileSize)
			if err != nil {
				errs = append(errs, &FileError{File: f.path, Line: lineOf(f.src, []string{"services", name, "env_file"}),
					Err: referenceError("services."+name+".env_file", "keep env files under "+confine.Size(maxEnvFileSize), err)})
				continue
			}
			vars, err := parseEnv(bytes.NewReader(b), path, lookup)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, v := range vars {
				fromFiles[v.Key] = v.Value
			}
		}
		env, err := environmentMap(svc["environment"])
		if err != nil {
			errs = append(errs, &FileError{File: f.path, Line: lineOf(f.src, []string{"services", name, "environment"}),
				Err: fmt.Errorf("services.%s.environment: %w", name, err)})
			continue
		}
		for k, v := range fromFiles {
			if _, set := env[k]; !set {
				env[k] = strings.ReplaceAll(v, "$", "$$")
			}
		}
		svc["environment"] = env
	}
	return errors.Join(errs...)
}

// environmentMap returns a service's environment (a list of KEY[=VALUE] or a mapping) as a
// mapping; a KEY without value maps to nil, as in the loader.
func environmentMap(raw any) (map[string]any, error) {
	out := map[string]any{}
	switch v := raw.(type) {
	case nil:
	case map[string]any:
		for k, val := range v {
			out[k] = val
		}
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, errors.New("must be a list of KEY=VALUE strings or a mapping")
			}
			if k, val, ok := strings.Cut(s, "="); ok {
				out[k] = val
			} else {
				out[s] = nil
			}
		}
	default:
		return nil, errors.New("must be a list of KEY=VALUE strings or a mapping")
	}
	return out, nil
}
