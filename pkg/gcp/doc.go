// Package gcp holds what every action talking to Google Cloud needs: credentials, the project,
// client options, retries of transient errors and readable permission errors.
//
// It never reads environment variables: the caller (an action's glue) reads them and passes the
// values in. It never prints either.
//
// API summary:
//
//	// Connect loads credentials, checks they give an access token, and resolves the project.
//	sess, err := gcp.Connect(ctx, gcp.Config{
//		Project:         in.Project,         // explicit value (an input); wins
//		CredentialsJSON: in.CredentialsJSON, // secret; else CredentialsFile; else ADC
//		CredentialsFile: env("GOOGLE_APPLICATION_CREDENTIALS"), // e.g. the file google-github-actions/auth writes
//		EnvProjects:     gcp.ProjectEnv(env), // values of the usual project variables; before the credentials' project
//		Endpoints:       nil,                 // tests: map[gcp.Service]string{gcp.CloudBuild: "127.0.0.1:1234"}
//		Insecure:        false,               // tests: no auth, plaintext (needs Endpoints)
//	})
//	sess.Project        // resolved project ID
//	sess.ProjectSource  // "input", "environment (NAME)" or "credentials" (in that order of precedence)
//	sess.Principal      // service account e-mail when known (never a secret)
//	sess.ClientOptions(gcp.CloudBuild) // []option.ClientOption for cloudbuild.NewClient
//	sess.ClientOptions(gcp.Storage)    // ... for storage.NewClient (HTTP)
//	sess.ClientOptions(gcp.Run)        // ... for run.NewServicesClient
//	sess.ClientOptions(gcp.Monitoring) // ... for monitoring.NewMetricClient
//
//	// Pure helpers.
//	gcp.ProjectEnv(getenv func(string) string) []gcp.EnvValue // the usual project variables, in order
//	gcp.ResolveProject(explicit, fromCredentials string, env []gcp.EnvValue) (project, source string, err error)
//	gcp.ValidateProjectID(id string) error
//	gcp.ValidateRegion(region string) error   // a well-formed region name (unknown ones pass: the API decides)
//
//	// Retries: UNAVAILABLE, RESOURCE_EXHAUSTED, HTTP 429 and 5xx, with exponential backoff and jitter.
//	err = gcp.Retry(ctx, gcp.DefaultRetry, func(ctx context.Context) error { ... })
//	gcp.Retryable(err) bool
//
//	// Permission errors: PERMISSION_DENIED / HTTP 403 turned into a *gcp.PermissionError naming the
//	// missing permission and a role that grants it, where the API error says which permission.
//	err = gcp.Explain(err) // returns err unchanged when it is not a permission error
package gcp
