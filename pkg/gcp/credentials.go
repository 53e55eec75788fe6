package gcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/credentials"
)

// CloudPlatformScope is the OAuth scope every credential is loaded with.
const CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// Config says how to reach Google Cloud. The zero value uses Application Default Credentials and
// finds no project.
type Config struct {
	// Project is the project ID given explicitly (an action input); it wins over every other source.
	Project string
	// CredentialsJSON is the content of a credentials file: a service account key or an external
	// account configuration (Workload Identity Federation). It is a secret. When set it wins over
	// CredentialsFile and Application Default Credentials.
	CredentialsJSON string
	// CredentialsFile is the path of a credentials file, typically the value of
	// GOOGLE_APPLICATION_CREDENTIALS that google-github-actions/auth exports. When empty,
	// Application Default Credentials are looked up by the Google auth library.
	CredentialsFile string
	// EnvProjects are the project IDs the caller read from the environment, in priority order
	// (see ProjectEnv). The first one is used when Project is empty, before the project the
	// credentials name (as gcloud and Google's client libraries do).
	EnvProjects []EnvValue
	// Endpoints overrides the endpoint of services, for tests that reach in-process fakes: a
	// host:port for gRPC services, a URL for HTTP ones (Storage: "http://127.0.0.1:1234/storage/v1/").
	Endpoints map[Service]string
	// Insecure disables authentication and TLS. It is for tests only and needs Endpoints for every
	// service used; no credentials are loaded.
	Insecure bool
	// UserAgent is added to the user agent of every request when set.
	UserAgent string
}

// Session is a loaded configuration: credentials and the resolved project.
type Session struct {
	// Project is the resolved project ID.
	Project string
	// ProjectSource says where Project came from: "input", "environment (NAME)" or "credentials".
	ProjectSource string
	// Principal is the service account the credentials act as, when the credentials say so
	// (client_email, or the impersonated account of an external account). It is not a secret.
	Principal string
	// CredentialsType is the "type" field of the credentials file ("service_account",
	// "external_account", ...), or "adc" when Application Default Credentials came from the
	// environment, or "none" when Insecure.
	CredentialsType string

	creds *auth.Credentials
	cfg   Config
}

// allowedTypes are the credential file types Connect accepts; others (for instance a gdch account
// or an unknown type) are refused rather than trusted blindly.
var allowedTypes = map[string]credentials.CredType{
	"service_account":                  credentials.ServiceAccount,
	"external_account":                 credentials.ExternalAccount,
	"authorized_user":                  credentials.AuthorizedUser,
	"impersonated_service_account":     credentials.ImpersonatedServiceAccount,
	"external_account_authorized_user": credentials.ExternalAccountAuthorizedUser,
}

// credentialsInfo is the part of a credentials file Connect reads itself.
type credentialsInfo struct {
	Type                           string `json:"type"`
	ProjectID                      string `json:"project_id"`
	ClientEmail                    string `json:"client_email"`
	ServiceAccountImpersonationURL string `json:"service_account_impersonation_url"`
}

// Connect loads the credentials cfg describes and resolves the project: cfg.Project, else the
// first non-empty cfg.EnvProjects value, else the project the credentials name (see
// ResolveProject).
func Connect(ctx context.Context, cfg Config) (*Session, error) {
	s := &Session{cfg: cfg}
	var info credentialsInfo
	switch {
	case cfg.Insecure:
		if len(cfg.Endpoints) == 0 {
			return nil, errors.New("insecure connections are for tests against local fakes: set the endpoints to reach")
		}
		s.CredentialsType = "none"
	case cfg.CredentialsJSON != "":
		creds, i, err := loadJSON([]byte(cfg.CredentialsJSON), "credentials_json")
		if err != nil {
			return nil, err
		}
		s.creds, info = creds, i
	case cfg.CredentialsFile != "":
		b, err := os.ReadFile(cfg.CredentialsFile)
		if err != nil {
			return nil, fmt.Errorf("failed to read the credentials file %s (GOOGLE_APPLICATION_CREDENTIALS): %w; "+
				"run google-github-actions/auth before this step or pass credentials_json", cfg.CredentialsFile, err)
		}
		creds, i, err := loadJSON(b, "credentials file "+cfg.CredentialsFile)
		if err != nil {
			return nil, err
		}
		s.creds, info = creds, i
	default:
		creds, err := credentials.DetectDefault(&credentials.DetectOptions{Scopes: []string{CloudPlatformScope}})
		if err != nil {
			return nil, fmt.Errorf("failed to find Google Cloud credentials: %w; run google-github-actions/auth "+
				"before this step (Workload Identity Federation) or pass credentials_json", err)
		}
		s.creds = creds
		s.CredentialsType = "adc"
		if b := creds.JSON(); len(b) > 0 {
			_ = json.Unmarshal(b, &info) // best effort: only used for the project and principal
		}
	}
	if info.Type != "" {
		s.CredentialsType = info.Type
	}
	if s.creds != nil {
		// Fail early, and clearly, when the credentials cannot give a token (a broken key, a
		// Workload Identity provider that refuses the GitHub token...).
		if _, err := s.creds.Token(ctx); err != nil {
			return nil, fmt.Errorf("failed to get an access token with the %s credentials: %w; check the credentials "+
				"(google-github-actions/auth or credentials_json)", s.CredentialsType, err)
		}
	}
	s.Principal = principal(info)
	project, source, err := resolveProject(cfg.Project, func() string { return projectFromCredentials(ctx, s.creds, info) }, cfg.EnvProjects)
	if err != nil {
		return nil, err
	}
	s.Project, s.ProjectSource = project, source
	return s, nil
}

// loadJSON parses a credentials file, refusing types Connect does not know. what names the source
// in errors; the content itself never appears in an error.
func loadJSON(b []byte, what string) (*auth.Credentials, credentialsInfo, error) {
	var info credentialsInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, info, fmt.Errorf("%s is not valid JSON (%s); pass the content of a service account key "+
			"or of a Workload Identity Federation configuration", what, jsonErrorKind(err))
	}
	credType, ok := allowedTypes[info.Type]
	if !ok {
		return nil, info, fmt.Errorf("%s has type %q; expected one of service_account, external_account, "+
			"authorized_user, impersonated_service_account", what, info.Type)
	}
	creds, err := credentials.NewCredentialsFromJSON(credType, b, &credentials.DetectOptions{Scopes: []string{CloudPlatformScope}})
	if err != nil {
		return nil, info, fmt.Errorf("failed to load %s: %w", what, err)
	}
	return creds, info, nil
}

// jsonErrorKind describes a JSON error without quoting the input, which may be a secret.
func jsonErrorKind(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Sprintf("field %q has the wrong type", typ.Field)
	}
	return "cannot be parsed"
}

var impersonatedEmailRE = regexp.MustCompile(`serviceAccounts/([^/:]+@[^/:]+):generateAccessToken`)

// principal returns the service account the credentials act as, if the file says so.
func principal(info credentialsInfo) string {
	if m := impersonatedEmailRE.FindStringSubmatch(info.ServiceAccountImpersonationURL); m != nil {
		return m[1]
	}
	return info.ClientEmail
}

// projectFromCredentials returns the project the credentials name: project_id, else the project of
// the service account they act as (NAME@PROJECT.iam.gserviceaccount.com), else what the auth
// library knows (the metadata server on Google Cloud).
func projectFromCredentials(ctx context.Context, creds *auth.Credentials, info credentialsInfo) string {
	if info.ProjectID != "" {
		return info.ProjectID
	}
	if p := projectOfServiceAccount(principal(info)); p != "" {
		return p
	}
	if creds == nil || info.Type != "" {
		return ""
	}
	// Application Default Credentials without a file: on Google Cloud the metadata server knows.
	p, err := creds.ProjectID(ctx)
	if err != nil {
		return ""
	}
	return p
}

// projectOfServiceAccount returns PROJECT for NAME@PROJECT.iam.gserviceaccount.com, else "".
func projectOfServiceAccount(email string) string {
	_, domain, ok := strings.Cut(email, "@")
	if !ok {
		return ""
	}
	project, ok := strings.CutSuffix(domain, ".iam.gserviceaccount.com")
	if !ok {
		return ""
	}
	return project
}
