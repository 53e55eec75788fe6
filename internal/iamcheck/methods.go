package iamcheck

// Call is one Google API method an action calls, with the resource its permission is checked on.
type Call struct {
	// Method is the method as internal/testenv/apicalls records it: "<api host>/<method>".
	Method string
	// On is the resource the permission is checked on: "project", or a kind of resource of
	// terraform/modules/github-oidc/resource_roles.json ("source_bucket", "logs_bucket", ...).
	On string
	// Unreached, when set, says why production never makes this call: the tests exercise it
	// (so it is listed) but its permission is not required of the identity.
	Unreached string
}

const (
	cloudBuildAPI = "cloudbuild.googleapis.com/google.devtools.cloudbuild.v1.CloudBuild/"
	runServices   = "run.googleapis.com/google.cloud.run.v2.Services/"
	runRevisions  = "run.googleapis.com/google.cloud.run.v2.Revisions/"
	runOperations = "run.googleapis.com/google.longrunning.Operations/"
	monitoringAPI = "monitoring.googleapis.com/google.monitoring.v3.MetricService/"
	storageAPI    = "storage.googleapis.com/"
)

// Methods lists, per action, every Google API method its tests may call. Each action's tests fail
// when they call a method not listed here (CheckCalled from its TestMain), so the list follows the
// code; TestRolesCoverActions derives the IAM permissions from it and checks them against the
// roles Terraform grants the identity the action runs as (Identities).
var Methods = map[string][]Call{
	"cloud-build": {
		{Method: cloudBuildAPI + "CreateBuild", On: "project"},
		{Method: cloudBuildAPI + "GetBuild", On: "project"},
		{Method: cloudBuildAPI + "CancelBuild", On: "project"},
		// pkg/cloudbuild.ensureBucket: the staging bucket is read, and when it is gcloud's default
		// one, found among the project's buckets to prove the project owns it.
		{Method: storageAPI + "storage.buckets.get", On: "source_bucket"},
		{Method: storageAPI + "storage.buckets.list", On: "project"},
		{Method: storageAPI + "storage.buckets.insert", On: "project",
			Unreached: "the action creates the staging bucket only when it does not exist; terraform/modules/build creates it"},
		{Method: storageAPI + "storage.objects.insert", On: "source_bucket"},
		// pkg/cloudbuild.tailer reads the build log from the logs bucket.
		{Method: storageAPI + "storage.objects.get", On: "logs_bucket"},
	},
	"promote": {
		{Method: runServices + "GetService", On: "project"},
		{Method: runServices + "UpdateService", On: "project"},
		{Method: runRevisions + "GetRevision", On: "project"},
		{Method: runOperations + "GetOperation", On: "project"},
		{Method: monitoringAPI + "ListTimeSeries", On: "project"},
	},
}

// Identities maps each action that calls Google APIs to the GitHub identity (a key of
// terraform/modules/github-oidc/roles.json) whose jobs run it: production.yml's build job runs
// cloud-build as the build identity; its deploy and canary jobs and promote.yml run promote as
// the release identity.
var Identities = map[string]string{
	"cloud-build": "build",
	"promote":     "release",
}
