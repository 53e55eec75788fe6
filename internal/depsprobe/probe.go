package depsprobe

import (
	_ "cloud.google.com/go/cloudbuild/apiv1/v2"
	_ "cloud.google.com/go/longrunning/autogen/longrunningpb"
	_ "cloud.google.com/go/monitoring/apiv3/v2"
	_ "cloud.google.com/go/run/apiv2"
	_ "cloud.google.com/go/storage"
	_ "github.com/docker/cli/cli/compose/convert"
	_ "github.com/docker/cli/cli/compose/loader"
	_ "github.com/fsouza/fake-gcs-server/fakestorage"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/moby/moby/client"
	_ "github.com/rhysd/actionlint"
	_ "github.com/sethvargo/go-githubactions"
	_ "golang.org/x/crypto/ssh"
	_ "golang.org/x/crypto/ssh/agent"
	_ "golang.org/x/crypto/ssh/knownhosts"
)
