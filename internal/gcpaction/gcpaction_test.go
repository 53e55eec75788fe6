package gcpaction

import (
	"testing"

	"github.com/twittix/infra/pkg/gcp"
)

func TestAs(t *testing.T) {
	t.Parallel()
	for principal, want := range map[string]string{"": "", "deployer@p.iam.gserviceaccount.com": " as deployer@p.iam.gserviceaccount.com"} {
		if got := As(&gcp.Session{Principal: principal}); got != want {
			t.Errorf("As(%q) = %q, want %q", principal, got, want)
		}
	}
}
