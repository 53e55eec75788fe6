// Package source decides which files of a directory go into a Cloud Build source upload and packs
// them as a gzip'd tar, following gcloud's rules exactly (gcloud builds submit, gcloudignore.py and
// glob.py of the Google Cloud SDK):
//
//   - the directory's .gcloudignore (gitignore syntax, "!" negation, "#!include:FILE" of a file in
//     the same directory, one level deep) decides;
//   - without one, a directory holding .git or .gitignore gets gcloud's default rules (ignore
//     .gcloudignore, .git, .gitignore and, through "#!include:.gitignore", what the top-level
//     .gitignore ignores; nested .gitignore files are not read, as in gcloud);
//   - otherwise everything is uploaded.
//
// Ignore files are read as UTF-8, as gcloud reads them: one that is not valid UTF-8 (the
// .gcloudignore or an included file) is refused with the file and the offset of the first bad
// byte, and nothing is uploaded.
//
// Patterns match right to left as gcloud's do: "foo" and "a/b" match at any depth, "/foo" only at
// the root, "**" any number of directories; a file inside an ignored directory cannot be
// re-included. Credentials files written by google-github-actions/auth (gha-creds-*.json) are never
// uploaded, and broken symbolic links are skipped.
//
// List walks the tree in a stable order; Pack streams the listing as tar+gzip, compressing blocks in
// parallel (klauspost/pgzip) with bounded memory.
package source
