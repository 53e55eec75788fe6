package fakecloudbuild

import (
	"slices"
	"strconv"
	"strings"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
)

// buildFilter is a parsed ListBuilds filter: terms joined by AND, each FIELD=VALUE or
// FIELD!=VALUE with the value quoted or not, as in `tags="gha-1-1-ab" AND status="WORKING"`. The
// fields are those of the service's filter language a client of the fake needs: tags (any tag of
// the build), status, build_id and trigger_id.
type buildFilter []filterTerm

type filterTerm struct {
	field, value string
	negate       bool
}

// filterFields are the fields a filter may name.
var filterFields = []string{"tags", "status", "build_id", "trigger_id"}

// parseFilter parses a filter; "" matches every build.
func parseFilter(s string) (buildFilter, error) {
	var f buildFilter
	if strings.TrimSpace(s) == "" {
		return f, nil
	}
	for _, term := range strings.Split(s, " AND ") {
		term = strings.TrimSpace(term)
		op := "="
		if strings.Contains(term, "!=") {
			op = "!="
		}
		field, value, ok := strings.Cut(term, op)
		field = strings.TrimSpace(field)
		if !ok || !slices.Contains(filterFields, field) {
			return nil, invalid("invalid filter %q: expected terms such as tags=\"TAG\" or status=\"WORKING\" joined by AND (fields: %s)", s, strings.Join(filterFields, ", "))
		}
		value = strings.TrimSpace(value)
		if strings.HasPrefix(value, `"`) {
			unq, err := strconv.Unquote(value)
			if err != nil {
				return nil, invalid("invalid filter %q: bad quoted value %s", s, value)
			}
			value = unq
		}
		f = append(f, filterTerm{field: field, value: value, negate: op == "!="})
	}
	return f, nil
}

// match reports whether b satisfies every term.
func (f buildFilter) match(b *cloudbuildpb.Build) bool {
	for _, t := range f {
		var ok bool
		switch t.field {
		case "tags":
			ok = slices.Contains(b.Tags, t.value)
		case "status":
			ok = b.Status.String() == t.value
		case "build_id":
			ok = b.Id == t.value
		case "trigger_id":
			ok = b.BuildTriggerId == t.value
		}
		if ok == t.negate {
			return false
		}
	}
	return true
}
