package release

import (
	"strings"
	"testing"
)

func TestCheckNext(t *testing.T) {
	t.Parallel()
	tags := []string{"v1", "v1.3.9", "v1.10.0", "v2.0.0-rc.1", "v0.9.0", "nightly"}
	tests := []struct {
		name, version string
		tags          []string
		wantErr       string // "" when the version may be released
		wantMajor     string
	}{
		{name: "the first release", version: "v0.1.0", wantMajor: "v0"},
		{name: "a patch above the latest", version: "v1.10.1", tags: tags, wantMajor: "v1"},
		{name: "a new major", version: "v2.0.0", tags: tags, wantMajor: "v2"},
		{name: "semver, not string order: v1.9.0 is below v1.10.0", version: "v1.9.0", tags: tags, wantErr: "not above the latest release v1.10.0"},
		{name: "an existing release", version: "v1.10.0", tags: tags, wantErr: "not above the latest release v1.10.0"},
		{name: "a lower version", version: "v1.4.0", tags: tags, wantErr: "pick a version above v1.10.0"},
		{name: "a lower major", version: "v0.10.0", tags: tags, wantErr: "not above"},
		{name: "a major tag is not a version", version: "v2", tags: tags, wantErr: `version "v2" does not look like v1.2.3`},
		{name: "a pre-release is refused", version: "v2.0.0-rc.2", tags: tags, wantErr: "does not look like v1.2.3"},
		{name: "no v", version: "1.11.0", tags: tags, wantErr: "does not look like v1.2.3"},
		{name: "leading zero", version: "v1.011.0", tags: tags, wantErr: "without leading zeros"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := CheckNext(tc.version, tc.tags)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("CheckNext(%q) = %v, %v; want an error containing %q", tc.version, v, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("CheckNext(%q): %v", tc.version, err)
			}
			if got := v.MajorTag(); got != tc.wantMajor {
				t.Errorf("MajorTag() = %q, want %q", got, tc.wantMajor)
			}
			if got := v.String(); got != tc.version {
				t.Errorf("String() = %q, want %q", got, tc.version)
			}
		})
	}
}

func TestLatestIgnoresOtherTags(t *testing.T) {
	t.Parallel()
	if _, ok := Latest([]string{"v1", "v2.0.0-rc.1", "main"}); ok {
		t.Error("Latest found a release among tags that are not vX.Y.Z")
	}
	if got, ok := Latest([]string{"v1.2.3", "v1.2.10", "v1.2.9"}); !ok || got.String() != "v1.2.10" {
		t.Errorf("Latest = %v, %v; want v1.2.10", got, ok)
	}
}
