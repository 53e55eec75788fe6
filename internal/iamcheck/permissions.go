package iamcheck

// Need is an IAM permission a method needs. On, when set, is the resource it is checked on
// instead of the call's own (actAs is checked on the service account the request names).
type Need struct {
	Permission string
	On         string
}

// Permissions maps each API method to the IAM permissions it needs, from Google's API reference:
//   - Cloud Build: https://cloud.google.com/build/docs/iam-roles-permissions (projects.builds.create
//     → cloudbuild.builds.create, get → cloudbuild.builds.get, cancel → cloudbuild.builds.update);
//     a build that runs as a user-specified service account needs iam.serviceAccounts.actAs on it
//     (https://cloud.google.com/build/docs/securing-builds/configure-user-specified-service-accounts).
//   - Cloud Run Admin API v2: https://cloud.google.com/run/docs/reference/iam/permissions
//     (services.get → run.services.get, services.patch → run.services.update, revisions.get →
//     run.revisions.get, operations.get → run.operations.get); deploying a revision that runs as a
//     service account needs iam.serviceAccounts.actAs on it
//     (https://cloud.google.com/run/docs/securing/service-identity#permissions_required_to_deploy).
//   - Cloud Monitoring: projects.timeSeries.list → monitoring.timeSeries.list
//     (https://cloud.google.com/monitoring/access-control#permissions).
//   - Cloud Storage JSON API: https://cloud.google.com/storage/docs/json_api/v1/iam-permissions
//     (buckets.get → storage.buckets.get, buckets.list → storage.buckets.list, buckets.insert →
//     storage.buckets.create, objects.insert → storage.objects.create, objects.get →
//     storage.objects.get).
var Permissions = map[string][]Need{
	cloudBuildAPI + "CreateBuild": {
		{Permission: "cloudbuild.builds.create"},
		{Permission: "iam.serviceAccounts.actAs", On: "runner_service_account"},
	},
	cloudBuildAPI + "GetBuild":    {{Permission: "cloudbuild.builds.get"}},
	cloudBuildAPI + "CancelBuild": {{Permission: "cloudbuild.builds.update"}},
	cloudBuildAPI + "ListBuilds":  {{Permission: "cloudbuild.builds.list"}},
	runServices + "GetService":    {{Permission: "run.services.get"}},
	runServices + "UpdateService": {
		{Permission: "run.services.update"},
		{Permission: "iam.serviceAccounts.actAs", On: "runtime_service_accounts"},
	},
	runRevisions + "GetRevision":          {{Permission: "run.revisions.get"}},
	runRevisions + "ListRevisions":        {{Permission: "run.revisions.list"}},
	runOperations + "GetOperation":        {{Permission: "run.operations.get"}},
	runOperations + "WaitOperation":       {{Permission: "run.operations.get"}},
	monitoringAPI + "ListTimeSeries":      {{Permission: "monitoring.timeSeries.list"}},
	storageAPI + "storage.buckets.get":    {{Permission: "storage.buckets.get"}},
	storageAPI + "storage.buckets.list":   {{Permission: "storage.buckets.list"}},
	storageAPI + "storage.buckets.insert": {{Permission: "storage.buckets.create"}},
	storageAPI + "storage.objects.insert": {{Permission: "storage.objects.create"}},
	storageAPI + "storage.objects.get":    {{Permission: "storage.objects.get"}},
	storageAPI + "storage.objects.list":   {{Permission: "storage.objects.list"}},
	storageAPI + "storage.objects.delete": {{Permission: "storage.objects.delete"}},
}
