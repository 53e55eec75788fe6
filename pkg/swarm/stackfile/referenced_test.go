package stackfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLoadConfinesReferencedFiles checks every file a compose file references (secrets' and
// configs' file, services' env_file) is refused when it leaves the workspace (absolute, "../",
// a symbolic link), is not a regular file, or is over its cap, all at once, each error naming the
// compose file, its line and the key.
func TestLoadConfinesReferencedFiles(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	ws := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	writeAt := func(path string, size int) {
		t.Helper()
		must(os.MkdirAll(filepath.Dir(path), 0o755))
		must(os.WriteFile(path, []byte(strings.Repeat("x", size)), 0o644))
	}
	writeAt(filepath.Join(outside, "stolen.txt"), 10)
	writeAt(filepath.Join(ws, "deploy", "ok.txt"), 10)
	writeAt(filepath.Join(ws, "deploy", "big-secret.bin"), 500*1024)   // Swarm refuses 500 KiB and more
	writeAt(filepath.Join(ws, "deploy", "big-config.bin"), 1000*1024)  // idem, 1000 KiB
	writeAt(filepath.Join(ws, "deploy", "big.env"), 1<<20+1)           // over 1 MiB
	writeAt(filepath.Join(ws, "deploy", "max-secret.bin"), 500*1024-1) // the largest Swarm takes
	writeAt(filepath.Join(ws, "shared", "common.txt"), 10)             // outside the compose dir, inside the workspace
	must(os.Symlink(filepath.Join(outside, "stolen.txt"), filepath.Join(ws, "deploy", "link.txt")))
	must(os.Symlink(outside, filepath.Join(ws, "deploy", "linkdir")))
	must(os.Symlink("/dev/zero", filepath.Join(ws, "deploy", "zero")))
	must(os.Symlink("ok.txt", filepath.Join(ws, "deploy", "inside-link.txt")))
	must(syscall.Mkfifo(filepath.Join(ws, "deploy", "pipe.env"), 0o600))
	compose := filepath.Join(ws, "deploy", "compose.yml")
	must(os.WriteFile(compose, []byte(`version: "3.9"
services:
  web:
    image: app
    env_file: /etc/hostname
  api:
    image: app
    env_file: [ok.txt, ./pipe.env]
  worker:
    image: app
    env_file: big.env
  fine:
    image: app
    env_file: inside-link.txt
secrets:
  environ:
    file: /proc/self/environ
  up:
    file: ../../`+filepath.Base(outside)+`/stolen.txt
  link:
    file: ./link.txt
  throughdir:
    file: linkdir/stolen.txt
  big:
    file: big-secret.bin
  max:
    file: max-secret.bin
  shared:
    file: ../shared/common.txt
configs:
  zero:
    file: ./zero
  big:
    file: big-config.bin
  missing:
    file: nowhere.txt
  ok:
    file: inside-link.txt
`), 0o644))

	_, err := Load(LoadOptions{Files: []string{compose}, Root: ws})
	if err == nil {
		t.Fatal("Load succeeded, want the referenced files refused")
	}
	type located struct {
		line int
		msg  string
	}
	var got []located
	for _, fe := range FileErrors(err) {
		if fe.File != compose {
			t.Errorf("error %q names file %s, want the compose file", fe, fe.File)
		}
		got = append(got, located{fe.Line, fe.Err.Error()})
	}
	want := []struct {
		line     int
		contains []string
	}{
		{5, []string{"services.web.env_file:", `"/etc/hostname" is outside the workspace ` + ws, "put the file in the repository checkout"}},
		{8, []string{"services.api.env_file:", "pipe.env is not a regular file (a named pipe)", "name a regular file"}},
		{11, []string{"services.worker.env_file:", "big.env is 1048577 bytes, larger than 1 MiB", "keep env files under 1 MiB"}},
		{17, []string{"secrets.environ.file:", `"/proc/self/environ" is outside the workspace`}},
		{19, []string{"secrets.up.file:", "is outside the workspace"}},
		{21, []string{"secrets.link.file:", "through a symbolic link, outside the workspace"}},
		{23, []string{"secrets.throughdir.file:", "through a symbolic link, outside the workspace"}},
		{25, []string{"secrets.big.file:", "is 500 KiB, larger than 511999 bytes", "Swarm only takes a secret smaller than 500 KiB"}},
		{32, []string{"configs.zero.file:", `leads to /dev/zero through a symbolic link`}},
		{34, []string{"configs.big.file:", "is 1000 KiB, larger than 1023999 bytes", "Swarm only takes a config smaller than 1000 KiB"}},
		{36, []string{"configs.missing.file:", "no such file or directory", "check the path"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(got), len(want), err)
	}
	byLine := map[int]string{}
	for _, g := range got {
		byLine[g.line] = g.msg
	}
	for _, w := range want {
		msg, ok := byLine[w.line]
		if !ok {
			t.Errorf("no error at line %d; errors:\n%v", w.line, err)
			continue
		}
		for _, c := range w.contains {
			if !strings.Contains(msg, c) {
				t.Errorf("error at line %d = %q, want it to contain %q", w.line, msg, c)
			}
		}
	}
}

// TestLoadReadsConfinedFiles checks the files inside the workspace are read, a symbolic link
// inside it included, and that without Root the compose files' directory is the limit.
func TestLoadReadsConfinedFiles(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	for name, content := range map[string]string{
		"deploy/token.txt":  "t0k3n",
		"deploy/web.env":    "FROM_ENV_FILE=1\n",
		"shared/common.txt": "common",
	} {
		p := filepath.Join(ws, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("token.txt", filepath.Join(ws, "deploy", "alias.txt")); err != nil {
		t.Fatal(err)
	}
	compose := filepath.Join(ws, "deploy", "compose.yml")
	if err := os.WriteFile(compose, []byte(`version: "3.9"
services:
  web:
    image: app
    env_file: web.env
secrets:
  token:
    file: ./alias.txt
configs:
  common:
    file: ../shared/common.txt
`), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(LoadOptions{Files: []string{compose}, Root: ws})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{"secret": string(p.data.secrets["token"]), "config": string(p.data.configs["common"]),
		"env": *p.Config.Services[0].Environment["FROM_ENV_FILE"]}
	if diff := cmp.Diff(map[string]string{"secret": "t0k3n", "config": "common", "env": "1"}, got); diff != "" {
		t.Errorf("read (-want +got):\n%s", diff)
	}

	_, err = Load(LoadOptions{Files: []string{compose}})
	if err == nil || !strings.Contains(err.Error(), `configs.common.file: "`+filepath.Join(ws, "shared", "common.txt")+`" is outside the compose files' directory`) {
		t.Errorf("Load without Root = %v, want ../shared refused", err)
	}
}

// TestVariablesRefusesNonRegularEnvFile checks an env_files input that is a device is refused
// before it is read.
func TestVariablesRefusesNonRegularEnvFile(t *testing.T) {
	t.Parallel()
	_, err := Variables([]string{"/dev/zero"}, nil)
	if err == nil || !strings.Contains(err.Error(), "/dev/zero is not a regular file") {
		t.Fatalf("Variables(/dev/zero) = %v, want a refusal", err)
	}
}
