package stackfile

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/docker/cli/cli/compose/loader"
	"github.com/docker/cli/cli/compose/schema"
	"github.com/docker/cli/cli/compose/template"
	composetypes "github.com/docker/cli/cli/compose/types"

	"github.com/twittix/infra/pkg/confine"
)

// LoadOptions says which compose files to load and which variables interpolate them.
type LoadOptions struct {
	// Files are the compose files, merged in order (a later file overrides an earlier one).
	Files []string
	// EnvFiles hold KEY=VALUE lines (docker env-file syntax) that interpolate ${VAR} in the files.
	EnvFiles []string
	// Env holds more variables; they win over EnvFiles. The process environment is never read
	// unless the caller copies it here.
	Env map[string]string
	// SecretEnv holds variables whose values are secret; they interpolate as Env does, and win
	// over Env and EnvFiles. No value of theirs is shown in a change (see Change): every change
	// whose value holds one is hidden, whatever its field.
	SecretEnv map[string]string
	// WorkingDir resolves relative paths (secret and config files, env_file, bind mounts). It
	// defaults to the directory of the first file, as with docker.
	WorkingDir string
	// Root is the directory every file the compose files reference (secrets' and configs' file,
	// env_file) must lie in, symbolic links resolved: the workspace. It defaults to WorkingDir.
	Root string
}

// Project is a loaded, interpolated and merged set of compose files.
type Project struct {
	// Config is the merged configuration as docker/cli's loader returns it.
	Config *composetypes.Config
	// Files are the compose files it came from.
	Files []string
	// Warnings are the loader's notes (unsupported or deprecated options that are ignored).
	Warnings []string

	data objectData // the content of the secrets' and configs' files
}

// Load reads, interpolates, validates and merges the compose files with docker/cli's loader,
// like `docker stack deploy -c a.yml -c b.yml`. Errors name the file, and the line where it can be
// found, as *FileError (see FileErrors).
func Load(opts LoadOptions) (*Project, error) {
	if len(opts.Files) == 0 {
		return nil, errors.New("no compose file given: pass at least one compose file")
	}
	explicit := maps.Clone(opts.Env)
	if explicit == nil {
		explicit = map[string]string{}
	}
	maps.Copy(explicit, opts.SecretEnv)
	vars, err := Variables(opts.EnvFiles, explicit)
	if err != nil {
		return nil, fmt.Errorf("failed to read variables: %w", err)
	}
	workingDir := opts.WorkingDir
	if workingDir == "" {
		abs, err := filepath.Abs(opts.Files[0])
		if err != nil {
			return nil, err
		}
		workingDir = filepath.Dir(abs)
	}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	root := opts.root(workingDir)

	files := make([]parsedFile, 0, len(opts.Files))
	var errs, refErrs []error
	for _, path := range opts.Files {
		pf, refErr, err := parseComposeFile(path, workingDir, root, lookup)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		refErrs = append(refErrs, refErr)
		files = append(files, pf)
	}
	if len(errs) > 0 {
		return nil, errors.Join(append(errs, refErrs...)...)
	}

	details := composetypes.ConfigDetails{
		WorkingDir:  workingDir,
		Version:     schema.Version(files[0].dict),
		Environment: vars,
	}
	for _, f := range files {
		details.ConfigFiles = append(details.ConfigFiles, composetypes.ConfigFile{Filename: f.path, Config: f.dict})
	}
	cfg, err := loader.Load(details)
	if err != nil {
		return nil, errors.Join(append(refErrs, locateLoadError(err, details, files))...)
	}
	data, err := readObjectFiles(cfg, files, root)
	if err = errors.Join(append(refErrs, validateImages(cfg, files), err)...); err != nil {
		return nil, err
	}

	p := &Project{Config: cfg, Files: opts.Files, data: data}
	dicts := make([]map[string]any, 0, len(files))
	for _, f := range files {
		dicts = append(dicts, f.dict)
	}
	if u := loader.GetUnsupportedProperties(dicts...); len(u) > 0 {
		p.Warnings = append(p.Warnings, "ignoring unsupported options: "+strings.Join(u, ", "))
	}
	dep := loader.GetDeprecatedProperties(dicts...)
	for _, k := range slices.Sorted(maps.Keys(dep)) {
		p.Warnings = append(p.Warnings, fmt.Sprintf("ignoring deprecated option %s: %s", k, dep[k]))
	}
	return p, nil
}

// SecretValues are the values of SecretEnv, longest first, empty ones left out: the strings to
// hide wherever a change is shown.
func (o LoadOptions) SecretValues() []string {
	var out []string
	for _, v := range o.SecretEnv {
		if v != "" {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

type parsedFile struct {
	path string
	dict map[string]any
	src  []byte
}

// parseComposeFile reads one compose file and resolves its services' env_file entries. The
// problems of its env_file entries come back as refErr, so that they are reported with the rest.
func parseComposeFile(path, workingDir string, root confine.Root, lookup template.Mapping) (pf parsedFile, refErr, err error) {
	src, err := confine.ReadRegular(path, maxComposeFileSize)
	if err != nil {
		return parsedFile{}, nil, &FileError{File: path, Err: fmt.Errorf("cannot read compose file: %w", err)}
	}
	dict, err := loader.ParseYAML(src)
	if err != nil {
		return parsedFile{}, nil, &FileError{File: path, Line: yamlErrorLine(err), Err: fmt.Errorf("invalid YAML: %w", err)}
	}
	pf = parsedFile{path: path, dict: dict, src: src}
	return pf, resolveEnvFiles(pf, workingDir, root, lookup), nil
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

func yamlErrorLine(err error) int {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	var n int
	_, _ = fmt.Sscanf(m[1], "%d", &n)
	return n
}

// locateLoadError attributes an error of the merged load to the file that causes it, by loading
// the files one by one, and finds the line of the key the error names.
func locateLoadError(err error, details composetypes.ConfigDetails, files []parsedFile) error {
	if fpe, ok := errors.AsType[*loader.ForbiddenPropertiesError](err); ok {
		var errs []error
		for _, f := range files {
			for _, name := range slices.Sorted(maps.Keys(fpe.Properties)) {
				for _, path := range servicesUsing(f.dict, name) {
					errs = append(errs, &FileError{File: f.path, Line: lineOf(f.src, path),
						Err: fmt.Errorf("unsupported option %s: %s", strings.Join(path, "."), fpe.Properties[name])})
				}
			}
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
	}
	for _, f := range files {
		one := details
		one.ConfigFiles = []composetypes.ConfigFile{{Filename: f.path, Config: f.dict}}
		if _, ferr := loader.Load(one); ferr != nil {
			return &FileError{File: f.path, Line: lineOf(f.src, errorPath(ferr)), Err: ferr}
		}
	}
	// Every file loads alone: the merge failed.
	return &FileError{File: files[len(files)-1].path, Err: fmt.Errorf("failed to merge the compose files: %w", err)}
}

// servicesUsing returns the paths services.<name>.<key> of the services that set key.
func servicesUsing(dict map[string]any, key string) [][]string {
	services, _ := dict["services"].(map[string]any)
	var out [][]string
	for _, name := range slices.Sorted(maps.Keys(services)) {
		if svc, ok := services[name].(map[string]any); ok {
			if _, ok := svc[key]; ok {
				out = append(out, []string{"services", name, key})
			}
		}
	}
	return out
}

var (
	schemaPathRE = regexp.MustCompile(`^([A-Za-z0-9_.\-]+): `)
	interpPathRE = regexp.MustCompile(`(?:format for|interpolating) ([A-Za-z0-9_.\-\[\]]+):`)
	propertyRE   = regexp.MustCompile(`additional property '([^']+)'`)
	serviceRE    = regexp.MustCompile(`^service "?([A-Za-z0-9_.\-]+)"?`)
)

// errorPath extracts the dotted key path an error of docker/cli's loader names, if any.
func errorPath(err error) []string {
	msg := err.Error()
	var dotted string
	switch {
	case interpPathRE.MatchString(msg):
		dotted = interpPathRE.FindStringSubmatch(msg)[1]
		if i := strings.Index(dotted, ".[]"); i >= 0 {
			dotted = dotted[:i]
		}
	case schemaPathRE.MatchString(msg):
		dotted = schemaPathRE.FindStringSubmatch(msg)[1]
	case serviceRE.MatchString(msg):
		dotted = "services." + serviceRE.FindStringSubmatch(msg)[1]
	default:
		return nil
	}
	path := strings.Split(dotted, ".")
	if m := propertyRE.FindStringSubmatch(msg); m != nil {
		path = append(path, m[1])
	}
	return path
}

// validateImages checks that each service has a valid image reference, as docker does.
func validateImages(cfg *composetypes.Config, files []parsedFile) error {
	var errs []error
	for _, svc := range cfg.Services {
		var err error
		switch {
		case svc.Image == "":
			err = fmt.Errorf("service %s has no image: set services.%s.image", svc.Name, svc.Name)
		default:
			if _, perr := reference.ParseAnyReference(svc.Image); perr != nil {
				err = fmt.Errorf("invalid image reference %q for service %s: %w", svc.Image, svc.Name, perr)
			}
		}
		if err != nil {
			errs = append(errs, locateService(files, svc.Name, "image", err))
		}
	}
	return errors.Join(errs...)
}

// locateService wraps err in a FileError pointing at services.<name>.<key> in the last file that
// sets it (or that defines the service).
func locateService(files []parsedFile, name, key string, err error) error {
	for i := len(files) - 1; i >= 0; i-- {
		f := files[i]
		services, _ := f.dict["services"].(map[string]any)
		svc, ok := services[name].(map[string]any)
		if !ok {
			continue
		}
		path := []string{"services", name}
		if _, ok := svc[key]; ok || i == 0 {
			if ok {
				path = append(path, key)
			}
			return &FileError{File: f.path, Line: lineOf(f.src, path), Err: err}
		}
	}
	return err
}
