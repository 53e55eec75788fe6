// Package iamcheck derives the IAM permissions each action needs from the Google API methods its
// tests call, and checks that the roles Terraform grants the GitHub identities cover them.
//
// The data is committed and explicit: Methods (action → API methods, kept honest by each action's
// TestMain through CheckCalled), Permissions (API method → IAM permission and the resource it is
// checked on, from Google's API reference) and PredefinedRoles (role → the permissions that
// matter here, from Google's IAM roles reference). The roles granted come from the JSON files
// Terraform reads (terraform/modules/github-oidc/*.json).
package iamcheck
