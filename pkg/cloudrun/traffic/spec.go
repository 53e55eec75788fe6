package traffic

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Latest names the service's latest ready revision in a spec, as `--to-latest` does in gcloud.
const Latest = "LATEST"

// Kind says how the target of an Assignment is named.
type Kind int

const (
	// ByName is a bare name: a tag of the current split, else a revision name.
	ByName Kind = iota
	// ByTag is a name given as tag:NAME; it must be a tag of the current split.
	ByTag
	// ByRevision is a name given as revision:NAME; it is a revision name.
	ByRevision
	// ToLatest is the LATEST keyword.
	ToLatest
)

// Assignment gives Percent of the traffic to one target.
type Assignment struct {
	// Kind says how Name is to be resolved.
	Kind Kind
	// Name is the tag or revision name, empty for ToLatest.
	Name string
	// Percent is the share of traffic, 0 to 100.
	Percent int32
}

// String formats a as it is written in a spec.
func (a Assignment) String() string {
	return fmt.Sprintf("%s=%d", a.target(), a.Percent)
}

func (a Assignment) target() string {
	switch a.Kind {
	case ByTag:
		return "tag:" + a.Name
	case ByRevision:
		return "revision:" + a.Name
	case ToLatest:
		return Latest
	}
	return a.Name
}

// namePattern matches Cloud Run revision names and traffic tags: lower-case letters, digits and
// hyphens, starting with a letter, at most 63 characters.
var namePattern = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)

// ValidName reports whether s can be a Cloud Run revision name or traffic tag.
func ValidName(s string) bool { return namePattern.MatchString(s) }

// ParseTarget parses the name of one target: LATEST, tag:NAME, revision:NAME or a bare NAME.
func ParseTarget(s string) (Assignment, error) {
	s = strings.TrimSpace(s)
	var a Assignment
	switch {
	case s == Latest:
		return Assignment{Kind: ToLatest}, nil
	case strings.HasPrefix(s, "tag:"):
		a = Assignment{Kind: ByTag, Name: strings.TrimPrefix(s, "tag:")}
	case strings.HasPrefix(s, "revision:"):
		a = Assignment{Kind: ByRevision, Name: strings.TrimPrefix(s, "revision:")}
	default:
		a = Assignment{Kind: ByName, Name: s}
	}
	if a.Name == "" {
		return a, fmt.Errorf("empty target %q: name a revision, a tag (tag:NAME) or LATEST", s)
	}
	if !ValidName(a.Name) {
		return a, fmt.Errorf("invalid target %q: revision names and tags are lower-case letters, digits and hyphens, start with a letter and are at most 63 characters (LATEST is upper-case)", s)
	}
	return a, nil
}

// ParseSpec parses a traffic spec such as "sha-1a2b3c4=10,LATEST=90": comma-separated
// TARGET=PERCENT items, where TARGET is LATEST, tag:NAME, revision:NAME or a bare NAME and PERCENT
// an integer from 0 to 100. A target may appear once and the percents may total at most 100.
// Every problem of the spec is reported at once.
func ParseSpec(spec string) ([]Assignment, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("empty traffic spec: write TARGET=PERCENT[,TARGET=PERCENT...], e.g. sha-1a2b3c4=10")
	}
	var (
		out   []Assignment
		errs  []error
		seen  = map[string]bool{}
		total int
	)
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		name, pct, ok := strings.Cut(item, "=")
		if !ok {
			errs = append(errs, fmt.Errorf("item %q has no percent: write TARGET=PERCENT, e.g. %s=100", item, strings.TrimSpace(item)))
			continue
		}
		a, err := ParseTarget(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p, err := ParsePercent(pct)
		if err != nil {
			errs = append(errs, fmt.Errorf("item %q: %w", item, err))
			continue
		}
		a.Percent = p
		if key := a.target(); seen[key] {
			errs = append(errs, fmt.Errorf("target %s appears more than once: give each target one percent", key))
			continue
		} else {
			seen[key] = true
		}
		total += int(p)
		out = append(out, a)
	}
	if total > 100 {
		errs = append(errs, fmt.Errorf("the spec assigns %d%% of traffic: the percents may total at most 100", total))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// ParsePercent parses an integer percent from 0 to 100; a trailing % is allowed.
func ParsePercent(s string) (int32, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "%")
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("percent %q is not an integer from 0 to 100", s)
	}
	if n < 0 || n > 100 {
		return 0, fmt.Errorf("percent %d is out of range: use an integer from 0 to 100", n)
	}
	return int32(n), nil
}
