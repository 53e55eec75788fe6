// Package gcpaction connects a Google Cloud action (cloud-build, promote) to Google Cloud from its
// inputs and the runner's environment: the credentials google-github-actions/auth leaves
// (GOOGLE_APPLICATION_CREDENTIALS) or a credentials_json input, and the project from the input,
// else the variables auth exports, else the credentials.
package gcpaction

import (
	"context"

	"github.com/twittix/infra/pkg/action"
	"github.com/twittix/infra/pkg/gcp"
)

// Seams reach local fakes instead of Google Cloud, for tests; the zero value talks to Google Cloud.
type Seams struct {
	// Endpoints override the services' endpoints (see gcp.Config).
	Endpoints map[gcp.Service]string
	// Insecure uses plaintext gRPC and no authentication (fakes on loopback only).
	Insecure bool
}

// Connect opens a Google Cloud session for the action run by rt, with its project and
// credentials_json inputs.
func Connect(ctx context.Context, rt *action.Runtime, project, credentialsJSON string, seams Seams) (*gcp.Session, error) {
	return gcp.Connect(ctx, gcp.Config{
		Project:         project,
		CredentialsJSON: credentialsJSON,
		CredentialsFile: rt.Getenv("GOOGLE_APPLICATION_CREDENTIALS"),
		EnvProjects:     gcp.ProjectEnv(rt.Getenv),
		Endpoints:       seams.Endpoints,
		Insecure:        seams.Insecure,
		UserAgent:       "twittix-infra/" + action.Version,
	})
}

// As describes whom a session runs as, for the log: " as deployer@p.iam.gserviceaccount.com", or
// "" when the credentials do not say.
func As(sess *gcp.Session) string {
	if sess.Principal == "" {
		return ""
	}
	return " as " + sess.Principal
}
