package gcp

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/storage"
)

// fakeGoogle is a local stand-in for the Google endpoints credentials talk to: the OAuth token
// endpoint (service account JWT flow), STS (token exchange), IAM Credentials (impersonation), the
// GitHub OIDC token endpoint google-github-actions/auth points credential_source at, and a Cloud
// Storage bucket read that records the Authorization header it got.
type fakeGoogle struct {
	srv *httptest.Server
	key *rsa.PrivateKey

	mu       sync.Mutex
	seenAuth []string // Authorization headers of storage requests
	exchange []string // subject tokens STS received
}

func newFakeGoogle(t *testing.T) *fakeGoogle {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeGoogle{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", f.serviceAccountToken)
	mux.HandleFunc("POST /sts/v1/token", f.stsExchange)
	mux.HandleFunc("POST /iam/v1/projects/-/serviceAccounts/{sa}", f.generateAccessToken)
	mux.HandleFunc("GET /github/oidc", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "bearer gh-request-token" {
			http.Error(w, "bad request token", http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"value": "gh-oidc-jwt"})
	})
	mux.HandleFunc("GET /storage/v1/b/{bucket}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seenAuth = append(f.seenAuth, r.Header.Get("Authorization"))
		f.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]string{"name": r.PathValue("bucket"), "kind": "storage#bucket"})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// serviceAccountToken checks the signed JWT assertion of the 2-legged OAuth flow.
func (f *fakeGoogle) serviceAccountToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		http.Error(w, "bad grant", http.StatusBadRequest)
		return
	}
	parts := strings.Split(r.Form.Get("assertion"), ".")
	if len(parts) != 3 {
		http.Error(w, "bad assertion", http.StatusBadRequest)
		return
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&f.key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct{ Iss, Scope string }
	json.Unmarshal(claims, &c)
	if c.Iss != "deployer@my-sa-project.iam.gserviceaccount.com" || !strings.Contains(c.Scope, CloudPlatformScope) {
		http.Error(w, "bad claims", http.StatusUnauthorized)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"access_token": "sa-token", "token_type": "Bearer", "expires_in": 3600})
}

func (f *fakeGoogle) stsExchange(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange" {
		http.Error(w, "bad grant", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.exchange = append(f.exchange, r.Form.Get("subject_token"))
	f.mu.Unlock()
	if r.Form.Get("subject_token") != "gh-oidc-jwt" || !strings.HasPrefix(r.Form.Get("audience"), "//iam.googleapis.com/") {
		http.Error(w, "bad subject", http.StatusUnauthorized)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"access_token": "federated-token", "issued_token_type": "urn:ietf:params:oauth:token-type:access_token", "token_type": "Bearer", "expires_in": 3600})
}

func (f *fakeGoogle) generateAccessToken(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer federated-token" || !strings.HasSuffix(r.PathValue("sa"), ":generateAccessToken") {
		http.Error(w, "not federated", http.StatusUnauthorized)
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"accessToken": "impersonated-token", "expireTime": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
}

func (f *fakeGoogle) serviceAccountJSON(t *testing.T, projectID string) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(f.key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     projectID,
		"private_key_id": "key-1",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":   "deployer@my-sa-project.iam.gserviceaccount.com",
		"client_id":      "1234",
		"token_uri":      f.srv.URL + "/oauth2/token",
	})
	return string(b)
}

// externalAccountFile writes the file google-github-actions/auth leaves for Workload Identity
// Federation with service account impersonation (gha-creds-*.json), pointing at the fakes.
func (f *fakeGoogle) externalAccountFile(t *testing.T) string {
	t.Helper()
	b, _ := json.Marshal(map[string]any{
		"type":                              "external_account",
		"audience":                          "//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/providers/twittix",
		"subject_token_type":                "urn:ietf:params:oauth:token-type:jwt",
		"token_url":                         f.srv.URL + "/sts/v1/token",
		"service_account_impersonation_url": f.srv.URL + "/iam/v1/projects/-/serviceAccounts/builder@wif-project.iam.gserviceaccount.com:generateAccessToken",
		"credential_source": map[string]any{
			"url":     f.srv.URL + "/github/oidc?audience=https://iam.googleapis.com/projects/123456789",
			"headers": map[string]string{"Authorization": "bearer gh-request-token"},
			"format":  map[string]string{"type": "json", "subject_token_field_name": "value"},
		},
	})
	path := filepath.Join(t.TempDir(), "gha-creds-0123456789abcdef.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// bucketAuth reads a bucket through the real storage client built from the session's options and
// returns the Authorization header the server saw.
func (f *fakeGoogle) bucketAuth(t *testing.T, s *Session) string {
	t.Helper()
	ctx := context.Background()
	s.cfg.Endpoints = map[Service]string{Storage: f.srv.URL + "/storage/v1/"}
	client, err := storage.NewClient(ctx, s.ClientOptions(Storage)...)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.Bucket("b").Attrs(ctx); err != nil {
		t.Fatalf("Attrs: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seenAuth[len(f.seenAuth)-1]
}

func TestConnectServiceAccountJSON(t *testing.T) {
	t.Parallel()
	f := newFakeGoogle(t)
	s, err := Connect(context.Background(), Config{
		CredentialsJSON: f.serviceAccountJSON(t, "key-project"),
		EnvProjects:     []EnvValue{{"GOOGLE_CLOUD_PROJECT", ""}},
	})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if s.Project != "key-project" || s.ProjectSource != "credentials" {
		t.Errorf("project = %q from %q, want key-project from credentials", s.Project, s.ProjectSource)
	}
	if s.Principal != "deployer@my-sa-project.iam.gserviceaccount.com" || s.CredentialsType != "service_account" {
		t.Errorf("principal, type = %q, %q", s.Principal, s.CredentialsType)
	}
	if got := f.bucketAuth(t, s); got != "Bearer sa-token" {
		t.Errorf("storage request Authorization = %q, want the token of the service account", got)
	}
}

func TestConnectExternalAccountFile(t *testing.T) {
	t.Parallel()
	f := newFakeGoogle(t)
	path := f.externalAccountFile(t)
	tests := []struct {
		name            string
		cfg             Config
		project, source string
	}{
		// The service account lives in a central project; google-github-actions/auth exports the
		// project to work in: the build must run there, as gcloud would.
		{name: "environment before the project of the impersonated account", cfg: Config{CredentialsFile: path, EnvProjects: []EnvValue{{"GCLOUD_PROJECT", "env-project"}}},
			project: "env-project", source: "environment (GCLOUD_PROJECT)"},
		{name: "project of the impersonated account", cfg: Config{CredentialsFile: path}, project: "wif-project", source: "credentials"},
		{name: "input wins", cfg: Config{CredentialsFile: path, Project: "input-project", EnvProjects: []EnvValue{{"GOOGLE_CLOUD_PROJECT", "env-project"}}},
			project: "input-project", source: "input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Connect(context.Background(), tc.cfg)
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			if s.Project != tc.project || s.ProjectSource != tc.source {
				t.Errorf("project = %q from %q, want %q from %q", s.Project, s.ProjectSource, tc.project, tc.source)
			}
			if s.CredentialsType != "external_account" || s.Principal != "builder@wif-project.iam.gserviceaccount.com" {
				t.Errorf("type, principal = %q, %q", s.CredentialsType, s.Principal)
			}
			if got := f.bucketAuth(t, s); got != "Bearer impersonated-token" {
				t.Errorf("storage request Authorization = %q, want the impersonated token", got)
			}
		})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.exchange) == 0 || f.exchange[0] != "gh-oidc-jwt" {
		t.Errorf("STS exchanged %q, want the GitHub OIDC token", f.exchange)
	}
}

func TestConnectErrorsDoNotLeakCredentials(t *testing.T) {
	t.Parallel()
	const secret = "SECRET-KEY-MATERIAL-4242"
	tests := []struct {
		name, json, wantErr string
	}{
		{name: "truncated", json: `{"type":"service_account","private_key":"` + secret, wantErr: "credentials_json is not valid JSON"},
		{name: "wrong field type", json: `{"type":"service_account","project_id":["` + secret + `"]}`, wantErr: "credentials_json is not valid JSON"},
		{name: "unknown type", json: `{"type":"api_key","key":"` + secret + `"}`, wantErr: `credentials_json has type "api_key"`},
		{name: "no private key", json: `{"type":"service_account","client_email":"x@p.iam.gserviceaccount.com","note":"` + secret + `"}`, wantErr: "failed to load credentials_json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Connect(context.Background(), Config{CredentialsJSON: tc.json, Project: "my-project"})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Connect() error = %v, want it to contain %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error leaks the credentials: %v", err)
			}
		})
	}
}

func TestConnectMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Connect(context.Background(), Config{CredentialsFile: filepath.Join(t.TempDir(), "gha-creds-gone.json")})
	if err == nil || !strings.Contains(err.Error(), "run google-github-actions/auth before this step") {
		t.Fatalf("Connect() error = %v, want a hint to run google-github-actions/auth", err)
	}
}

func TestInsecureNeedsEndpoints(t *testing.T) {
	t.Parallel()
	if _, err := Connect(context.Background(), Config{Insecure: true, Project: "my-project"}); err == nil {
		t.Fatal("Connect(Insecure without endpoints) succeeded, want an error")
	}
	s, err := Connect(context.Background(), Config{Insecure: true, Project: "my-project", Endpoints: map[Service]string{CloudBuild: "127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(s.ClientOptions(CloudBuild)), 3; got != want { // endpoint, no auth, plaintext
		t.Errorf("len(ClientOptions(CloudBuild)) = %d, want %d", got, want)
	}
	if got, want := len(s.ClientOptions(Storage)), 1; got != want { // no auth only: no endpoint given
		t.Errorf("len(ClientOptions(Storage)) = %d, want %d", got, want)
	}
}
