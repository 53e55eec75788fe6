package promote

import (
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/twittix/infra/pkg/cloudrun"
)

// TestServiceNotFoundNamesTheInputs checks a service not found is told naming the inputs that
// say where it was looked for, Cloud Run's error and its code kept.
func TestServiceNotFoundNamesTheInputs(t *testing.T) {
	t.Parallel()
	cause := status.Error(codes.NotFound, "Resource 'nope' of kind 'SERVICE' in region 'europe-west1' in project 'twittix-prod' does not exist.")
	err := inputTerms(&cloudrun.NotFoundError{Ref: cloudrun.ServiceRef{Project: "twittix-prod", Region: "europe-west1", Service: "nope"}, Err: cause})
	want := "service nope not found in project twittix-prod, region europe-west1: check the service, project and region inputs " +
		"(this action deploys revisions of an existing service; create it once with `gcloud run deploy`): " + cause.Error()
	if got := err.Error(); got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if !errors.Is(err, cause) || status.Code(err) != codes.NotFound {
		t.Errorf("Cloud Run's error or its code is lost: %v", err)
	}
	other := errors.New("failed to read service web: boom")
	if got := inputTerms(other); got != other {
		t.Errorf("inputTerms(%v) = %v, want it unchanged", other, got)
	}
}
