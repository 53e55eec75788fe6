// Package fakecloudbuild is an in-process fake of Cloud Build for tests and benchmarks, reached
// through the real Go clients (cloud.google.com/go/cloudbuild/apiv1/v2 and
// cloud.google.com/go/storage) with option.WithEndpoint, no authentication and a plaintext
// connection.
//
// Server implements google.devtools.cloudbuild.v1.CloudBuild (CreateBuild, GetBuild, ListBuilds
// with the tags/status/build_id/trigger_id terms of the service's filter language, CancelBuild)
// and google.longrunning.Operations from the official protos. It validates builds as
// the service does (steps, timeouts, substitutions with the service's own messages, image names,
// service account and worker pool rules), then runs them: QUEUED, WORKING, then SUCCESS, FAILURE,
// TIMEOUT, CANCELLED, EXPIRED or INTERNAL_ERROR. A run reads the uploaded source archive from the
// fake Cloud Storage, appends each log line to log-<id>.txt in the logs bucket (unless logging is
// CLOUD_LOGGING_ONLY or NONE), simulates its steps (the Docker builder builds from the source's
// Dockerfile, runs its RUN lines and pushes; shell images run a tiny script language: echo,
// sleep, exit, cat, ls, ...) and fills results.images with digests.
//
// GCS wraps an in-process fake-gcs-server (v1.56.1) with what it lacks: buckets belong to
// projects, and HTTP faults can be injected. Server.Fail injects gRPC faults (UNAVAILABLE,
// PERMISSION_DENIED with details, ...), FailAfter a fault after the call took effect (an answer
// lost on the way back), Hang and HangAfter calls that never answer, and FailNextBuild an
// INTERNAL_ERROR-like outcome.
package fakecloudbuild
