package iamcheck

// PredefinedRoles lists, for each predefined role Terraform may grant the GitHub identities,
// the permissions it includes among those Permissions can ask for (not the role's whole list).
// Source: Google's IAM roles and permissions index,
// https://cloud.google.com/iam/docs/roles-permissions (pages storage, cloudbuild, run,
// monitoring, iam, artifactregistry, serviceusage), as of 2026-11.
var PredefinedRoles = map[string][]string{
	"roles/storage.admin": {
		"storage.buckets.create", "storage.buckets.get", "storage.buckets.list",
		"storage.objects.create", "storage.objects.delete", "storage.objects.get", "storage.objects.list",
	},
	"roles/storage.objectAdmin": {
		"storage.objects.create", "storage.objects.delete", "storage.objects.get", "storage.objects.list",
	},
	"roles/storage.objectCreator":      {"storage.objects.create"},
	"roles/storage.objectViewer":       {"storage.objects.get", "storage.objects.list"},
	"roles/storage.objectUser":         {"storage.objects.create", "storage.objects.delete", "storage.objects.get", "storage.objects.list"},
	"roles/storage.legacyBucketReader": {"storage.buckets.get", "storage.objects.list"},
	// legacyBucketWriter lets one list, create and delete objects, not read them.
	"roles/storage.legacyBucketWriter": {"storage.buckets.get", "storage.objects.create", "storage.objects.delete", "storage.objects.list"},
	"roles/storage.legacyBucketOwner":  {"storage.buckets.get", "storage.objects.create", "storage.objects.delete", "storage.objects.list"},
	"roles/cloudbuild.builds.editor":   {"cloudbuild.builds.create", "cloudbuild.builds.get", "cloudbuild.builds.list", "cloudbuild.builds.update"},
	"roles/cloudbuild.builds.viewer":   {"cloudbuild.builds.get", "cloudbuild.builds.list"},
	"roles/run.admin": {
		"run.operations.get", "run.revisions.get", "run.revisions.list", "run.services.get", "run.services.update",
	},
	"roles/run.developer": {
		"run.operations.get", "run.revisions.get", "run.revisions.list", "run.services.get", "run.services.update",
	},
	"roles/run.viewer":                        {"run.operations.get", "run.revisions.get", "run.revisions.list", "run.services.get"},
	"roles/monitoring.viewer":                 {"monitoring.timeSeries.list"},
	"roles/monitoring.editor":                 {"monitoring.timeSeries.list"},
	"roles/iam.serviceAccountUser":            {"iam.serviceAccounts.actAs"},
	"roles/artifactregistry.writer":           {},
	"roles/artifactregistry.reader":           {},
	"roles/serviceusage.serviceUsageConsumer": {},
}
