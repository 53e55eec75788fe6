package gcp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/api/googleapi"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// apiErr is what a generated gRPC client returns for a status.
func apiErr(t *testing.T, st *status.Status) error {
	t.Helper()
	aerr, ok := apierror.FromError(st.Err())
	if !ok {
		t.Fatalf("apierror.FromError(%v) failed", st)
	}
	return aerr
}

func TestRetryable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"grpc unavailable", status.Error(codes.Unavailable, "try later"), true},
		{"grpc resource exhausted", status.Error(codes.ResourceExhausted, "quota"), true},
		{"apierror unavailable", apiErr(t, status.New(codes.Unavailable, "x")), true},
		{"grpc invalid argument", status.Error(codes.InvalidArgument, "bad"), false},
		{"grpc permission denied", status.Error(codes.PermissionDenied, "no"), false},
		{"http 503", &googleapi.Error{Code: http.StatusServiceUnavailable}, true},
		{"http 429", fmt.Errorf("wrapped: %w", &googleapi.Error{Code: http.StatusTooManyRequests}), true},
		{"http 500", &googleapi.Error{Code: 500}, true},
		{"http 404", &googleapi.Error{Code: 404}, false},
		{"plain error", errors.New("disk full"), false},
	}
	for _, tc := range tests {
		if got := Retryable(tc.err); got != tc.want {
			t.Errorf("%s: Retryable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	fast := RetryPolicy{Attempts: 4, Initial: time.Millisecond, Max: 4 * time.Millisecond, Multiplier: 2}
	tests := []struct {
		name      string
		errs      []error // returned by successive calls; nil afterwards
		wantCalls int
		wantErr   codes.Code
	}{
		{name: "succeeds after transient errors", errs: []error{status.Error(codes.Unavailable, "a"), status.Error(codes.ResourceExhausted, "b")}, wantCalls: 3, wantErr: codes.OK},
		{name: "gives up after attempts", errs: []error{status.Error(codes.Unavailable, "1"), status.Error(codes.Unavailable, "2"), status.Error(codes.Unavailable, "3"), status.Error(codes.Unavailable, "4"), status.Error(codes.Unavailable, "5")}, wantCalls: 4, wantErr: codes.Unavailable},
		{name: "permanent error not retried", errs: []error{status.Error(codes.InvalidArgument, "bad")}, wantCalls: 1, wantErr: codes.InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			calls, retries := 0, 0
			p := fast
			p.OnRetry = func(int, time.Duration, error) { retries++ }
			err := Retry(context.Background(), p, func(context.Context) error {
				calls++
				if calls <= len(tc.errs) {
					return tc.errs[calls-1]
				}
				return nil
			})
			if calls != tc.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tc.wantCalls)
			}
			if retries != tc.wantCalls-1 {
				t.Errorf("OnRetry called %d times, want %d", retries, tc.wantCalls-1)
			}
			if got := status.Code(err); got != tc.wantErr {
				t.Errorf("error code = %v (%v), want %v", got, err, tc.wantErr)
			}
		})
	}
}

func TestRetryStopsWithContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	p := RetryPolicy{Attempts: 100, Initial: time.Hour, Max: time.Hour}
	p.OnRetry = func(int, time.Duration, error) { cancel() }
	start := time.Now()
	err := Retry(ctx, p, func(context.Context) error { return status.Error(codes.Unavailable, "down") })
	if !errors.Is(err, context.Canceled) || status.Code(err) != codes.Unavailable {
		t.Errorf("err = %v, want the last error joined with context.Canceled", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Error("Retry kept waiting after the context was cancelled")
	}
}

func TestRetryHonoursRetryInfo(t *testing.T) {
	t.Parallel()
	st, _ := status.New(codes.ResourceExhausted, "slow down").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(30 * time.Millisecond)})
	var waited time.Duration
	p := RetryPolicy{Attempts: 2, Initial: time.Millisecond, Max: time.Millisecond, OnRetry: func(_ int, d time.Duration, _ error) { waited = d }}
	calls := 0
	_ = Retry(context.Background(), p, func(context.Context) error {
		calls++
		if calls == 1 {
			return apiErr(t, st)
		}
		return nil
	})
	if waited != 30*time.Millisecond {
		t.Errorf("waited %v, want the 30ms the server asked for", waited)
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	withInfo, _ := status.New(codes.PermissionDenied, "Permission denied on resource").WithDetails(&errdetails.ErrorInfo{
		Reason: "IAM_PERMISSION_DENIED", Domain: "cloudbuild.googleapis.com",
		Metadata: map[string]string{"permission": "cloudbuild.builds.create", "resource": "projects/p/locations/global"},
	})
	tests := []struct {
		name             string
		err              error
		permission, role string
		resource         string
		unchanged        bool
	}{
		{name: "grpc ErrorInfo", err: apiErr(t, withInfo), permission: "cloudbuild.builds.create", role: "roles/cloudbuild.builds.editor", resource: "projects/p/locations/global"},
		{name: "raw status with ErrorInfo", err: withInfo.Err(), permission: "cloudbuild.builds.create", role: "roles/cloudbuild.builds.editor", resource: "projects/p/locations/global"},
		{name: "message only", err: status.Error(codes.PermissionDenied, "Permission 'run.services.update' denied on resource '//run.googleapis.com/projects/p/locations/r/services/s' (or it may not exist)."),
			permission: "run.services.update", role: "roles/run.developer", resource: "//run.googleapis.com/projects/p/locations/r/services/s"},
		{name: "storage 403", err: &googleapi.Error{Code: 403, Message: "ci@p.iam.gserviceaccount.com does not have storage.buckets.create access to the Google Cloud project. Permission 'storage.buckets.create' denied on resource (or it may not exist)."},
			permission: "storage.buckets.create", role: "roles/storage.admin"},
		{name: "act as", err: status.Error(codes.PermissionDenied, "caller does not have permission to act as service account projects/-/serviceAccounts/x@p.iam.gserviceaccount.com"),
			permission: "iam.serviceAccounts.actAs", role: "roles/iam.serviceAccountUser"},
		{name: "unknown permission", err: status.Error(codes.PermissionDenied, "The caller does not have permission")},
		{name: "not a permission error", err: status.Error(codes.NotFound, "no such build"), unchanged: true},
		{name: "nil", err: nil, unchanged: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Explain(tc.err)
			if tc.unchanged {
				if got != tc.err {
					t.Fatalf("Explain(%v) = %v, want it unchanged", tc.err, got)
				}
				return
			}
			var pe *PermissionError
			if !errors.As(got, &pe) {
				t.Fatalf("Explain(%v) = %T, want *PermissionError", tc.err, got)
			}
			if pe.Permission != tc.permission || pe.Role != tc.role || pe.Resource != tc.resource {
				t.Errorf("got permission %q role %q resource %q, want %q %q %q", pe.Permission, pe.Role, pe.Resource, tc.permission, tc.role, tc.resource)
			}
			if !errors.Is(got, tc.err) {
				t.Error("the explained error does not wrap the original")
			}
			if tc.role != "" && !strings.Contains(got.Error(), "grant the role "+tc.role) {
				t.Errorf("message %q does not name the role", got)
			}
		})
	}
}
