package cloudbuild

import (
	"strings"
	"testing"

	"github.com/twittix/infra/pkg/gcp"
)

func TestTestEndpoints(t *testing.T) {
	t.Parallel()
	eps, err := testEndpoints("cloudbuild=127.0.0.1:4000, storage=http://localhost:5000/storage/v1/")
	if err != nil {
		t.Fatal(err)
	}
	if eps[gcp.CloudBuild] != "127.0.0.1:4000" || eps[gcp.Storage] != "http://localhost:5000/storage/v1/" {
		t.Errorf("endpoints = %v", eps)
	}
	for value, wantErr := range map[string]string{
		"cloudbuild=cloudbuild.googleapis.com:443,storage=http://127.0.0.1:1/": "not on a loopback address",
		"cloudbuild=127.0.0.1:1,storage=http://evil.example:80/":               "not on a loopback address",
		"cloudbuild=[::1]:1,storage=https://127.0.0.1:1/":                      "not an http:// URL",
		"cloudbuild=127.0.0.1:1":                                               "set both",
		"run=127.0.0.1:1,storage=http://127.0.0.1:1/":                          `"run=127.0.0.1:1" is not`,
	} {
		if _, err := testEndpoints(value); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("testEndpoints(%q) = %v, want %q", value, err, wantErr)
		}
	}
}
