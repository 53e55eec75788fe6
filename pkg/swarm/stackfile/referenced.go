package stackfile

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"

	composetypes "github.com/docker/cli/cli/compose/types"

	"github.com/twittix/infra/pkg/confine"
)

// The files a compose file references (secrets' and configs' file, services' env_file) are read
// only inside LoadOptions.Root, symbolic links resolved, only when they are regular files, and only
// up to a cap checked before reading: Swarm's own limits for secrets and configs (swarmkit refuses
// data of MaxSecretSize or MaxConfigSize bytes and more), 1 MiB for an env file.
const (
	maxSecretSize  = 500*1024 - 1
	maxConfigSize  = 1000*1024 - 1
	maxEnvFileSize = 1 << 20
	// maxComposeFileSize caps a compose file itself, a path input of the action.
	maxComposeFileSize = 4 << 20
)

// root is the directory tree the referenced files must stay in.
func (o LoadOptions) root(workingDir string) confine.Root {
	if o.Root != "" {
		return confine.Root{Dir: o.Root, Name: "the workspace",
			Hint: "put the file in the repository checkout and name it relative to the compose file"}
	}
	return confine.Root{Dir: workingDir, Name: "the compose files' directory",
		Hint: "put the file next to the compose files and name it relative to them"}
}

// referenceError says what is wrong with the file at key (services.web.env_file,
// secrets.token.file) and how to fix it.
func referenceError(key, limitNote string, err error) error {
	switch {
	case errors.Is(err, confine.ErrOutside):
		return fmt.Errorf("%s: %w", key, err) // the error says the fix
	case errors.Is(err, confine.ErrTooLarge):
		return fmt.Errorf("%s: %w; %s", key, err, limitNote)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %w; check the path, relative to the compose file's directory", key, err)
	default:
		return fmt.Errorf("%s: %w; name a regular file of the repository checkout", key, err)
	}
}

// objectData is the content of the secrets' and configs' files, by compose key.
type objectData struct {
	secrets, configs map[string][]byte
}

// readObjectFiles reads the file of every secret and config that has one, confined to root and
// capped, reporting every problem at once, each located at its key in the last compose file that
// sets it.
func readObjectFiles(cfg *composetypes.Config, files []parsedFile, root confine.Root) (objectData, error) {
	data := objectData{secrets: map[string][]byte{}, configs: map[string][]byte{}}
	var errs []error
	read := func(kind, key, file string, limit int64, into map[string][]byte) {
		section := kind + "s"
		if file == "" {
			errs = append(errs, locateKey(files, []string{section, key},
				fmt.Errorf("%s.%s: no file: set file, or external: true for a %s created beforehand", section, key, kind)))
			return
		}
		_, b, err := root.ReadFile(file, limit)
		if err != nil {
			note := fmt.Sprintf("Swarm only takes a %s smaller than %s", kind, confine.Size(limit+1))
			errs = append(errs, locateKey(files, []string{section, key, "file"},
				referenceError(section+"."+key+".file", note, err)))
			return
		}
		into[key] = b
	}
	for _, key := range slices.Sorted(maps.Keys(cfg.Secrets)) {
		if s := cfg.Secrets[key]; !s.External.External && s.Driver == "" {
			read(KindSecret, key, s.File, maxSecretSize, data.secrets)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(cfg.Configs)) {
		if c := cfg.Configs[key]; !c.External.External {
			read(KindConfig, key, c.File, maxConfigSize, data.configs)
		}
	}
	return data, errors.Join(errs...)
}

// locateKey wraps err in a FileError at path in the last compose file that sets it, or at the
// deepest part of it that the last file defining path[0..1] has.
func locateKey(files []parsedFile, path []string, err error) error {
	best := -1
	for i := len(files) - 1; i >= 0; i-- {
		if has(files[i].dict, path) {
			best = i
			break
		}
		if best < 0 && has(files[i].dict, path[:min(2, len(path))]) {
			best = i
		}
	}
	if len(files) == 0 {
		return err
	}
	if best < 0 {
		best = len(files) - 1
	}
	f := files[best]
	return &FileError{File: f.path, Line: lineOf(f.src, path), Err: err}
}

// has reports whether the nested mappings of dict hold path.
func has(dict map[string]any, path []string) bool {
	var node any = dict
	for _, k := range path {
		m, ok := node.(map[string]any)
		if !ok {
			return false
		}
		if node, ok = m[k]; !ok {
			return false
		}
	}
	return true
}
