// Package cloudbuild submits a Cloud Build build from a local directory and follows it, the job
// `gcloud builds submit` does, through the APIs:
//
//   - Request describes the build (tag mode: build the directory's Dockerfile and push Image;
//     config mode: run a cloudbuild.yaml) and Check validates it once, each problem a
//     *field.Error naming the field at fault (callers name it after their inputs);
//   - Prepare makes the Build message, substitutions merged and checked as Cloud Build will;
//   - Client.Stage packs the directory with gcloud's ignore rules (package source) and streams it
//     into a resumable upload to gs://<project>_cloudbuild/source (created when missing, refused
//     when it belongs to another project) or a given StagingDir;
//   - Client.Submit creates the build, tagged with a tag unique to the submission
//     (SubmissionTag): CreateBuild is not idempotent, so after a failure that may have created the
//     build it is looked up by that tag before being sent again, and a build created as the job
//     is cancelled is found and cancelled;
//   - Client.Wait follows it: polls the build, streams its log from log-<id>.txt in the logs
//     bucket with byte ranges (each step in its own log group), cancels the build when the context
//     is done (CancelBuild first, within the cleanup budget Options.CancelTimeout: the runner
//     kills the job about 10 s after cancelling it), and returns a Result (images with digests, steps, duration) and a
//     *BuildError when the build did not succeed;
//   - Client.Run does it all; ListFiles lists what would be uploaded.
//
// The package prints nothing itself: progress and the build log go to the logging.Logger given in
// Options.
package cloudbuild
