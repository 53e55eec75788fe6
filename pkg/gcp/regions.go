package gcp

import (
	"fmt"
	"regexp"
	"slices"
)

// Regions are the Google Cloud regions known when this was written, where Cloud Build and Cloud
// Run both run. Regions are added over time: the list only serves to suggest a name for a
// malformed one, never to refuse a well-formed one.
var Regions = []string{
	"africa-south1",
	"asia-east1", "asia-east2",
	"asia-northeast1", "asia-northeast2", "asia-northeast3",
	"asia-south1", "asia-south2",
	"asia-southeast1", "asia-southeast2", "asia-southeast3",
	"australia-southeast1", "australia-southeast2",
	"europe-central2",
	"europe-north1", "europe-north2",
	"europe-southwest1",
	"europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-west6",
	"europe-west8", "europe-west9", "europe-west10", "europe-west12",
	"me-central1", "me-central2", "me-west1",
	"northamerica-northeast1", "northamerica-northeast2", "northamerica-south1",
	"southamerica-east1", "southamerica-west1",
	"us-central1",
	"us-east1", "us-east4", "us-east5",
	"us-south1",
	"us-west1", "us-west2", "us-west3", "us-west4",
}

var regionRE = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+$`)

// ValidateRegion reports whether region is a well-formed Google Cloud region name (such as
// us-central1 or europe-west10), suggesting the closest known region when it is not. A well-formed
// region missing from Regions passes: regions are added over time, the API decides whether it
// serves one (see KnownRegion).
func ValidateRegion(region string) error {
	if regionRE.MatchString(region) {
		return nil
	}
	hint := ""
	if near := closestRegion(region); near != "" {
		hint = fmt.Sprintf("did you mean %s? ", near)
	}
	return fmt.Errorf("%q is not a Google Cloud region name; %sexpected a region such as us-central1 or europe-west1", region, hint)
}

// KnownRegion reports whether region is in Regions, and else the closest known region (or "") to
// suggest when the API refuses it.
func KnownRegion(region string) (known bool, closest string) {
	if slices.Contains(Regions, region) {
		return true, region
	}
	return false, closestRegion(region)
}

// closestRegion returns the known region nearest to s by edit distance, if it is close enough.
func closestRegion(s string) string {
	best, bestD := "", 4
	for _, r := range Regions {
		if d := editDistance(s, r); d < bestD {
			best, bestD = r, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
