package extract

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tarball packs testdata/package as npm pack does, with edit applied to each file's content.
func tarball(t *testing.T, edit func(name, content string) string) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	err := filepath.WalkDir(filepath.Join("testdata", "package"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(strings.TrimPrefix(path, "testdata"+string(filepath.Separator)))
		content := edit(name, string(b))
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content))}); err != nil {
			return err
		}
		_, err = tw.Write([]byte(content))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func same(_, content string) string { return content }

// wantThing is google_thing of testdata/package, worked out by hand from its .jsii and index.js.
const wantThing = `{
  "attributes": {
    "build": {"type": "string", "optional": true},
    "effective_labels": {"type": ["map", "string"], "computed": true},
    "enabled": {"type": "bool", "optional": true},
    "id": {"type": "string", "optional": true, "computed": true},
    "ipv6_prefixes": {"type": ["set", "string"], "optional": true},
    "labels": {"type": ["map", "string"], "optional": true},
    "members": {"type": ["set", "string"], "computed": true},
    "name": {"type": "string", "required": true},
    "ready": {"type": "bool", "computed": true},
    "self_link": {"type": "string", "computed": true},
    "status": {"type": ["list", ["object", {"ready": "bool", "urls": ["list", "string"]}]], "computed": true}
  },
  "block_types": {
    "rule": {"nesting_mode": "list", "block": {"block_types": {
      "action": {"nesting_mode": "set", "min_items": 1, "max_items": 1, "block": {"attributes": {"type": {"type": "string", "required": true}}}}
    }}},
    "spec": {"nesting_mode": "list", "min_items": 1, "max_items": 1, "block": {"attributes": {
      "fingerprint": {"type": "string", "computed": true},
      "size_gb": {"type": "number", "optional": true}
    }}},
    "timeouts": {"nesting_mode": "single", "block": {"attributes": {"create": {"type": "string", "optional": true}}}}
  }
}`

func TestFromTarball(t *testing.T) {
	s, err := FromTarball(tarball(t, same))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(s.ResourceSchemas["google_thing"])
	var gotV, wantV any
	if err := json.Unmarshal(got, &gotV); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(wantThing), &wantV); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantV, gotV); diff != "" {
		t.Errorf("google_thing schema (-want +got):\n%s", diff)
	}
	if _, ok := s.Provider.Attributes["alias"]; ok {
		t.Error("the provider schema holds alias, a meta-argument")
	}
	if _, ok := s.Provider.Attributes["project"]; !ok {
		t.Error("the provider schema lacks project")
	}
}

func TestFromTarballRefusesDisagreements(t *testing.T) {
	tests := []struct {
		name, file, old, new, want string
	}{
		{
			name: "documentation link names another attribute", file: "package/.jsii",
			old: "thing#ipv6_prefixes Thing#ipv6_prefixes", new: "thing#ipv_6_prefixes Thing#ipv_6_prefixes",
			want: `Terraform name "ipv6_prefixes" disagrees with its documentation link #ipv_6_prefixes`,
		},
		{
			name: "property missing from the generated code", file: "package/lib/thing/index.js",
			old: "booleanToHclTerraform(this._enabled)", new: "booleanToHclTerraform(this._enabledNot)",
			want: "property enabled has no entry in the generated HCL attributes",
		},
		{
			name: "resource type disagrees with the docs link", file: "package/lib/thing/index.js",
			old: `Thing.tfResourceType = "google_thing";`, new: `Thing.tfResourceType = "google_thingy";`,
			want: `tfResourceType "google_thingy" disagrees with the docs link`,
		},
		{
			name: "unknown attribute kind", file: "package/lib/thing/index.js",
			old: `storageClassType: "stringMap"`, new: `storageClassType: "numberMap"`,
			want: "unsupported attribute kind map/numberMap",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			edited := false
			_, err := FromTarball(tarball(t, func(name, content string) string {
				if name == tc.file && strings.Contains(content, tc.old) {
					edited = true
					return strings.Replace(content, tc.old, tc.new, 1)
				}
				return content
			}))
			if !edited {
				t.Fatalf("%s does not hold %q", tc.file, tc.old)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("FromTarball error = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestCamelToSnake(t *testing.T) {
	for in, want := range map[string]string{"name": "name", "sizeGb": "size_gb", "forceDestroy": "force_destroy", "code": "code"} {
		if got := CamelToSnake(in); got != want {
			t.Errorf("CamelToSnake(%q) = %q, want %q", in, got, want)
		}
	}
}
