package swarm

import (
	"testing"
	"time"
)

func TestRegistryCredentials(t *testing.T) {
	t.Parallel()
	creds := []RegistryCredential{
		{Server: "https://index.docker.io/v1/", Username: "hub", Password: "p1"},
		{Server: "ghcr.io", Username: "gh", Password: "p2"},
		{Server: "europe-docker.pkg.dev", Username: "oauth2accesstoken", Password: "p3"},
	}
	tests := []struct{ image, wantUser, wantServer string }{
		{"nginx:1", "hub", "https://index.docker.io/v1/"},
		{"docker.io/library/redis", "hub", "https://index.docker.io/v1/"},
		{"ghcr.io/twittix/api:v1", "gh", "ghcr.io"},
		{"europe-docker.pkg.dev/p/r/img@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "oauth2accesstoken", "europe-docker.pkg.dev"},
		{"quay.io/x/y", "", ""},
	}
	for _, tc := range tests {
		auth, err := encodedAuth(tc.image, creds)
		if err != nil {
			t.Fatal(err)
		}
		if tc.wantUser == "" {
			if auth != "" {
				t.Errorf("%s: got credentials, want none", tc.image)
			}
			continue
		}
		ac, err := decodeAuthForTest(auth)
		if err != nil {
			t.Fatal(err)
		}
		if ac.Username != tc.wantUser || ac.ServerAddress != tc.wantServer {
			t.Errorf("%s: auth %s@%s, want %s@%s", tc.image, ac.Username, ac.ServerAddress, tc.wantUser, tc.wantServer)
		}
	}
}

func TestOptionsReportEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := Options{Stack: "bad stack!", ResolveImage: "sometimes", Timeout: -1,
		Registries: []RegistryCredential{{Username: "u"}}}.withDefaults()
	for _, want := range []string{"stack:", "compose files:", "resolve image:", "registry credential 1:", "must not be negative"} {
		if err == nil || !contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
	for name, o := range map[string]Options{
		"log tail":          {LogTail: -1},
		"progress interval": {ProgressInterval: -time.Second},
		"cleanup budget":    {CleanupBudget: -time.Second},
	} {
		o.Stack, o.Files = "app", []string{"c.yml"}
		if _, err := o.withDefaults(); err == nil || !contains(err.Error(), "must not be negative") {
			t.Errorf("a negative %s: error = %v, want it refused", name, err)
		}
	}
	o, err := DefaultOptions("app", "c.yml").withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.PollInterval != 250*time.Millisecond || o.LockTTL != 25*time.Minute || !o.RollbackOnFailure || o.MaxTaskFailures != 3 ||
		o.CleanupBudget != 6*time.Second {
		t.Errorf("defaults = %+v", o)
	}
}
