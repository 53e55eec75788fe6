// Package release holds the steps of release.yml that decide something: which version may be
// released (strictly above the latest vX.Y.Z tag) and how a release commit pins every reference to
// this repository (the image by digest, the sub-actions and reusable workflows by the release's own
// tag), refusing to leave a mutable one. release.yml runs them through ./internal/release/cmd/release.
package release
