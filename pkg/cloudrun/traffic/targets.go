package traffic

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"cloud.google.com/go/run/apiv2/runpb"
)

// PinLatest returns current with the traffic of LATEST moved to the revision latestReady, so that
// a new revision created by a template update receives no traffic. A tag on a LATEST target
// stays on LATEST (at 0%). It is an error to pin when LATEST serves traffic and latestReady is
// empty.
func PinLatest(current []*runpb.TrafficTarget, latestReady string) ([]*runpb.TrafficTarget, error) {
	current = Normalize(current)
	want, order := Percents(current)
	p, ok := want[Latest]
	if !ok {
		return clone(current), nil
	}
	if latestReady == "" {
		return nil, errors.New("LATEST serves traffic but the service has no ready revision to pin it to: fix the service (deploy a revision that becomes Ready) first")
	}
	delete(want, Latest)
	want[latestReady] += p
	return rebuild(current, want, append(order, latestReady)), nil
}

// SetTag returns current with tag moved to revision (a revision name or Latest): the tag is
// removed from any target that has it and put on a 0% target of revision.
func SetTag(current []*runpb.TrafficTarget, tag, revision string) []*runpb.TrafficTarget {
	var out []*runpb.TrafficTarget
	for _, t := range Normalize(current) {
		if t.GetTag() == tag {
			if t.GetPercent() == 0 {
				continue
			}
			t = NewTarget(Key(t), t.GetPercent(), "")
		}
		out = append(out, cloneTarget(t))
	}
	return append(out, NewTarget(revision, 0, tag))
}

// Restore returns current with the percents of the split recorded (typically the split before a
// promotion) and the tags of current, so that tag URLs keep working after a rollback.
func Restore(current, recorded []*runpb.TrafficTarget) ([]*runpb.TrafficTarget, error) {
	if err := Validate(recorded); err != nil {
		return nil, fmt.Errorf("the recorded traffic cannot be restored: %w", err)
	}
	want, order := Percents(recorded)
	return rebuild(Normalize(current), want, order), nil
}

// Equal reports whether a and b route the same percents to the same revisions and the same tags
// to the same revisions, however the targets are laid out.
func Equal(a, b []*runpb.TrafficTarget) bool {
	pa, _ := Percents(Normalize(a))
	pb, _ := Percents(Normalize(b))
	return maps.Equal(pa, pb) && maps.Equal(Tags(a), Tags(b))
}

// Percent returns the percent routed to revision by targets, counting LATEST when latestReady is
// revision.
func Percent(targets []*runpb.TrafficTarget, revision, latestReady string) int32 {
	m, _ := Percents(Normalize(targets))
	p := m[revision]
	if revision != Latest && latestReady == revision {
		p += m[Latest]
	}
	return p
}

// Entry is one target of a split in the JSON outputs and in the recorded annotation.
type Entry struct {
	// Revision is the revision name; for a LATEST target it is the revision LATEST resolves to
	// when known, else "LATEST".
	Revision string `json:"revision"`
	// Latest is true for a target that follows the latest ready revision.
	Latest bool `json:"latest,omitempty"`
	// Tag is the traffic tag, if any.
	Tag string `json:"tag,omitempty"`
	// Percent is the share of traffic.
	Percent int32 `json:"percent"`
	// URL is the tag URL, when known.
	URL string `json:"url,omitempty"`
}

// Entries returns the entries of targets; LATEST targets are resolved to latestReady when it is
// not empty.
func Entries(targets []*runpb.TrafficTarget, latestReady string) []Entry {
	out := make([]Entry, 0, len(targets))
	for _, t := range targets {
		e := Entry{Revision: Key(t), Tag: t.GetTag(), Percent: t.GetPercent()}
		if e.Revision == Latest {
			e.Latest = true
			if latestReady != "" {
				e.Revision = latestReady
			}
		}
		out = append(out, e)
	}
	return out
}

// StatusEntries returns the entries of the traffic statuses Cloud Run reports for a service,
// which name resolved revisions and tag URLs.
func StatusEntries(statuses []*runpb.TrafficTargetStatus) []Entry {
	out := make([]Entry, 0, len(statuses))
	for _, s := range statuses {
		out = append(out, Entry{
			Revision: s.GetRevision(),
			Latest:   s.GetType() == typeLatest,
			Tag:      s.GetTag(),
			Percent:  s.GetPercent(),
			URL:      s.GetUri(),
		})
	}
	return out
}

// record is the value of the annotation that holds a split.
type record struct {
	Traffic []recordTarget `json:"traffic"`
}

type recordTarget struct {
	Revision string `json:"revision,omitempty"`
	Latest   bool   `json:"latest,omitempty"`
	Percent  int32  `json:"percent"`
}

// Encode returns the serving part of targets (percents, not tags) as compact JSON, the value
// recorded in a service annotation before a traffic change.
func Encode(targets []*runpb.TrafficTarget) string {
	m, order := Percents(Normalize(targets))
	r := record{Traffic: []recordTarget{}}
	for _, k := range order {
		if k == Latest {
			r.Traffic = append(r.Traffic, recordTarget{Latest: true, Percent: m[k]})
		} else {
			r.Traffic = append(r.Traffic, recordTarget{Revision: k, Percent: m[k]})
		}
	}
	b, _ := json.Marshal(r) // a struct of strings and integers always marshals
	return string(b)
}

// Decode parses a split written by Encode and checks that it totals 100.
func Decode(s string) ([]*runpb.TrafficTarget, error) {
	var r record
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return nil, fmt.Errorf("the recorded traffic %q is not valid JSON: %w", s, err)
	}
	var out []*runpb.TrafficTarget
	for _, t := range r.Traffic {
		switch {
		case t.Latest:
			out = append(out, NewTarget(Latest, t.Percent, ""))
		case ValidName(t.Revision):
			out = append(out, NewTarget(t.Revision, t.Percent, ""))
		default:
			return nil, fmt.Errorf("the recorded traffic %q names an invalid revision %q", s, t.Revision)
		}
	}
	if err := Validate(out); err != nil {
		return nil, fmt.Errorf("the recorded traffic %q is not a valid split: %w", s, err)
	}
	return out, nil
}

func clone(targets []*runpb.TrafficTarget) []*runpb.TrafficTarget {
	out := make([]*runpb.TrafficTarget, len(targets))
	for i, t := range targets {
		out[i] = cloneTarget(t)
	}
	return out
}

func cloneTarget(t *runpb.TrafficTarget) *runpb.TrafficTarget {
	return NewTarget(Key(t), t.GetPercent(), t.GetTag())
}
