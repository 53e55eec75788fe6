package release

import (
	"fmt"
	"regexp"
	"strconv"
)

// versionPattern is the only shape of a release version: v, then major.minor.patch.
var versionPattern = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)

// Version is a release version vMAJOR.MINOR.PATCH.
type Version struct {
	Major, Minor, Patch int
}

// ParseVersion parses a release version such as v1.4.0. Pre-release and build suffixes, leading
// zeros and a missing v are refused: release tags have exactly that shape.
func ParseVersion(s string) (Version, error) {
	m := versionPattern.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("version %q does not look like v1.2.3 (v, then major.minor.patch without leading zeros)", s)
	}
	var v Version
	for i, p := range []*int{&v.Major, &v.Minor, &v.Patch} {
		n, err := strconv.Atoi(m[i+1])
		if err != nil {
			return Version{}, fmt.Errorf("version %q: %w", s, err)
		}
		*p = n
	}
	return v, nil
}

// String returns the version as its tag, e.g. v1.4.0.
func (v Version) String() string {
	return fmt.Sprintf("v%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// MajorTag returns the tag that follows the latest release of the major version, e.g. v1.
func (v Version) MajorTag() string {
	return fmt.Sprintf("v%d", v.Major)
}

// Compare returns -1, 0 or 1 as v is lower than, equal to or higher than w, in semver order.
func (v Version) Compare(w Version) int {
	for _, d := range [][2]int{{v.Major, w.Major}, {v.Minor, w.Minor}, {v.Patch, w.Patch}} {
		switch {
		case d[0] < d[1]:
			return -1
		case d[0] > d[1]:
			return 1
		}
	}
	return 0
}

// Latest returns the highest release among tags, ignoring tags that are not vX.Y.Z (the major
// tags such as v1, pre-releases, anything else); ok is false when there is none.
func Latest(tags []string) (latest Version, ok bool) {
	for _, tag := range tags {
		v, err := ParseVersion(tag)
		if err != nil {
			continue
		}
		if !ok || v.Compare(latest) > 0 {
			latest, ok = v, true
		}
	}
	return latest, ok
}

// CheckNext checks version may be released given the repository's tags: it must be a vX.Y.Z
// strictly above the latest vX.Y.Z tag, so that a release never overwrites one (releases are
// immutable) nor moves a major tag back to older code.
func CheckNext(version string, tags []string) (Version, error) {
	v, err := ParseVersion(version)
	if err != nil {
		return Version{}, err
	}
	if latest, ok := Latest(tags); ok && v.Compare(latest) <= 0 {
		return Version{}, fmt.Errorf("version %s is not above the latest release %s; releases are immutable and only go forward: pick a version above %s", v, latest, latest)
	}
	return v, nil
}
