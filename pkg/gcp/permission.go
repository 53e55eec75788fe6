package gcp

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/api/googleapi"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// PermissionError is a PERMISSION_DENIED (HTTP 403) answer, explained.
type PermissionError struct {
	// Permission is the IAM permission the caller lacks, when the API said which.
	Permission string
	// Role is a predefined role that grants Permission, when known.
	Role string
	// Resource is the resource the permission was checked on, when the API said which.
	Resource string
	// Err is the API error.
	Err error
}

func (e *PermissionError) Error() string {
	var b strings.Builder
	b.WriteString("permission denied")
	if e.Permission != "" {
		fmt.Fprintf(&b, ": the caller lacks %s", e.Permission)
		if e.Resource != "" {
			fmt.Fprintf(&b, " on %s", e.Resource)
		}
		if e.Role != "" {
			fmt.Fprintf(&b, "; grant the role %s (or another role with that permission) to the account the action runs as", e.Role)
		} else {
			b.WriteString("; grant a role with that permission to the account the action runs as")
		}
	} else {
		b.WriteString("; check the roles of the account the action runs as")
	}
	fmt.Fprintf(&b, " (%v)", e.Err)
	return b.String()
}

func (e *PermissionError) Unwrap() error { return e.Err }

// roles maps a permission to the narrowest predefined role that grants it.
var roles = map[string]string{
	"cloudbuild.builds.create":                        "roles/cloudbuild.builds.editor",
	"cloudbuild.builds.update":                        "roles/cloudbuild.builds.editor",
	"cloudbuild.builds.get":                           "roles/cloudbuild.builds.viewer",
	"cloudbuild.builds.list":                          "roles/cloudbuild.builds.viewer",
	"cloudbuild.workerpools.use":                      "roles/cloudbuild.workerPoolUser",
	"storage.buckets.create":                          "roles/storage.admin",
	"storage.buckets.get":                             "roles/storage.admin",
	"storage.buckets.list":                            "roles/storage.admin",
	"storage.objects.create":                          "roles/storage.objectCreator",
	"storage.objects.get":                             "roles/storage.objectViewer",
	"storage.objects.list":                            "roles/storage.objectViewer",
	"storage.objects.delete":                          "roles/storage.objectUser",
	"iam.serviceAccounts.actAs":                       "roles/iam.serviceAccountUser",
	"iam.serviceAccounts.getAccessToken":              "roles/iam.workloadIdentityUser",
	"serviceusage.services.use":                       "roles/serviceusage.serviceUsageConsumer",
	"run.services.get":                                "roles/run.viewer",
	"run.services.list":                               "roles/run.viewer",
	"run.services.create":                             "roles/run.developer",
	"run.services.update":                             "roles/run.developer",
	"run.services.setIamPolicy":                       "roles/run.admin",
	"run.revisions.get":                               "roles/run.viewer",
	"run.revisions.list":                              "roles/run.viewer",
	"run.operations.get":                              "roles/run.viewer",
	"monitoring.timeSeries.list":                      "roles/monitoring.viewer",
	"logging.logEntries.list":                         "roles/logging.viewer",
	"artifactregistry.repositories.uploadArtifacts":   "roles/artifactregistry.writer",
	"artifactregistry.repositories.downloadArtifacts": "roles/artifactregistry.reader",
}

var (
	quotedPermissionRE = regexp.MustCompile(`[Pp]ermission '([a-zA-Z]+(?:\.[a-zA-Z]+)+)' denied`)
	accessPermissionRE = regexp.MustCompile(`does not have ([a-zA-Z]+(?:\.[a-zA-Z]+)+) access`)
	resourceRE         = regexp.MustCompile(`denied on resource '([^']+)'`)
	actAsRE            = regexp.MustCompile(`(?i)permission to act as service account`)
)

// Explain turns a permission error into a *PermissionError naming the missing permission and a role
// that grants it where the API error says which permission (gRPC ErrorInfo metadata, or the
// message of a Cloud Storage 403). Other errors, nil included, are returned unchanged.
func Explain(err error) error {
	if err == nil || !IsPermissionDenied(err) {
		return err
	}
	var pe *PermissionError
	if errors.As(err, &pe) {
		return err
	}
	pe = &PermissionError{Err: err}
	pe.Permission, pe.Resource = permissionOf(err)
	pe.Role = roles[pe.Permission]
	return pe
}

// IsPermissionDenied reports whether err is a gRPC PERMISSION_DENIED or an HTTP 403 answer.
func IsPermissionDenied(err error) bool {
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		return gerr.Code == http.StatusForbidden
	}
	var aerr *apierror.APIError
	if errors.As(err, &aerr) {
		if aerr.HTTPCode() > 0 {
			return aerr.HTTPCode() == http.StatusForbidden
		}
		return aerr.GRPCStatus().Code() == codes.PermissionDenied
	}
	if st, ok := status.FromError(err); ok {
		return st.Code() == codes.PermissionDenied
	}
	return false
}

// permissionOf digs the permission and resource out of the error details, else out of the message.
func permissionOf(err error) (permission, resource string) {
	var aerr *apierror.APIError
	if errors.As(err, &aerr) {
		if md := aerr.Metadata(); md != nil {
			permission, resource = md["permission"], md["resource"]
		}
	} else if st, ok := status.FromError(err); ok {
		for _, d := range st.Details() {
			if info, ok := d.(*errdetails.ErrorInfo); ok {
				permission, resource = info.GetMetadata()["permission"], info.GetMetadata()["resource"]
			}
		}
	}
	msg := err.Error()
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		msg = gerr.Message + " " + gerr.Body
	}
	if permission == "" {
		if m := quotedPermissionRE.FindStringSubmatch(msg); m != nil {
			permission = m[1]
		} else if m := accessPermissionRE.FindStringSubmatch(msg); m != nil {
			permission = m[1]
		} else if actAsRE.MatchString(msg) {
			permission = "iam.serviceAccounts.actAs"
		}
	}
	if resource == "" {
		if m := resourceRE.FindStringSubmatch(msg); m != nil {
			resource = m[1]
		}
	}
	return permission, resource
}
