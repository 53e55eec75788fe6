package fakecloudbuild

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Defaults of the service.
const (
	defaultTimeout  = 10 * time.Minute
	defaultQueueTTL = time.Hour
)

// buildState is a build and what the fake tracks about it; guarded by Server.mu.
type buildState struct {
	b         *cloudbuildpb.Build
	opName    string
	location  string
	cancel    chan struct{} // closed by CancelBuild
	cancelled bool
	log       []byte
	lines     []LogLine
	logBucket string // "" when the build does not log to Cloud Storage
	logObject string
}

func (st *buildState) snapshot() *cloudbuildpb.Build { return proto.Clone(st.b).(*cloudbuildpb.Build) }

// operation renders the long-running operation of the build.
func (st *buildState) operation() *longrunningpb.Operation {
	b := st.snapshot()
	md, _ := anypb.New(&cloudbuildpb.BuildOperationMetadata{Build: b})
	op := &longrunningpb.Operation{Name: st.opName, Metadata: md, Done: terminal(b.Status)}
	if !op.Done {
		return op
	}
	if b.Status == cloudbuildpb.Build_SUCCESS {
		resp, _ := anypb.New(b)
		op.Result = &longrunningpb.Operation_Response{Response: resp}
		return op
	}
	code := codes.Unknown
	switch b.Status {
	case cloudbuildpb.Build_CANCELLED:
		code = codes.Canceled
	case cloudbuildpb.Build_TIMEOUT:
		code = codes.DeadlineExceeded
	}
	op.Result = &longrunningpb.Operation_Error{Error: status.New(code, fmt.Sprintf("Build failed; check build logs for details: status %s", b.Status)).Proto()}
	return op
}

type cloudBuild struct {
	cloudbuildpb.UnimplementedCloudBuildServer
	s *Server
}

func invalid(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

// parseParent returns the project and location of a request: "projects/P/locations/L" or the
// project_id field (global).
func parseParent(parent, projectID string) (project, location string, err error) {
	if parent == "" {
		if projectID == "" {
			return "", "", invalid("one of parent or project_id must be set")
		}
		return projectID, "global", nil
	}
	parts := strings.Split(parent, "/")
	if len(parts) != 4 || parts[0] != "projects" || parts[2] != "locations" || parts[1] == "" || parts[3] == "" {
		return "", "", invalid("invalid parent %q: expected projects/{project}/locations/{location}", parent)
	}
	if projectID != "" && projectID != parts[1] {
		return "", "", invalid("project_id %q does not match parent %q", projectID, parent)
	}
	return parts[1], parts[3], nil
}

// checkAccess refuses unknown projects and locations as the service does.
func (s *Server) checkAccess(project, location, permission string) (int64, error) {
	number := s.ProjectNumber(project)
	if number == 0 {
		st, _ := status.New(codes.PermissionDenied, fmt.Sprintf("Permission '%s' denied on resource '//cloudbuild.googleapis.com/projects/%s/locations/%s' (or it may not exist).", permission, project, location)).
			WithDetails(&errdetails.ErrorInfo{Reason: "IAM_PERMISSION_DENIED", Domain: "cloudbuild.googleapis.com",
				Metadata: map[string]string{"permission": permission, "resource": fmt.Sprintf("projects/%s/locations/%s", project, location)}})
		return 0, st.Err()
	}
	if location != "global" && !slices.Contains(s.opts.Regions, location) {
		return 0, invalid("invalid location %q: Cloud Build is not available in this location", location)
	}
	return number, nil
}

func (c *cloudBuild) CreateBuild(ctx context.Context, req *cloudbuildpb.CreateBuildRequest) (*longrunningpb.Operation, error) {
	s := c.s
	project, location, err := parseParent(req.GetParent(), req.GetProjectId())
	if err != nil {
		return nil, err
	}
	number, err := s.checkAccess(project, location, "cloudbuild.builds.create")
	if err != nil {
		return nil, err
	}
	if req.GetBuild() == nil {
		return nil, invalid("no build field was provided")
	}
	b := proto.Clone(req.GetBuild()).(*cloudbuildpb.Build)
	if err := validate(b, location); err != nil {
		return nil, err
	}
	id := uuid.NewString()
	now := time.Now()
	b.Id, b.ProjectId = id, project
	b.Name = fmt.Sprintf("projects/%d/locations/%s/builds/%s", number, location, id)
	b.Status = cloudbuildpb.Build_QUEUED
	b.CreateTime = timestamppb.New(now)
	b.LogUrl = fmt.Sprintf("https://console.cloud.google.com/cloud-build/builds;region=%s/%s?project=%d", location, id, number)
	if b.Timeout == nil {
		b.Timeout = durationpb.New(defaultTimeout)
	}
	if b.QueueTtl == nil {
		b.QueueTtl = durationpb.New(defaultQueueTTL)
	}
	for _, st := range b.Steps {
		st.Status = cloudbuildpb.Build_QUEUED
	}
	st := &buildState{b: b, location: location, cancel: make(chan struct{}),
		opName: fmt.Sprintf("operations/build/%s/%s", project, base64.StdEncoding.EncodeToString([]byte(id)))}
	if err := s.setUpLogs(st, number); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.builds[id] = st
	s.order = append(s.order, id)
	var forced *forcedOutcome
	if len(s.outcome) > 0 {
		forced = &s.outcome[0]
		s.outcome = s.outcome[1:]
	}
	op := st.operation()
	s.mu.Unlock()

	s.wg.Add(1)
	go s.run(st, forced)
	return op, nil
}

// setUpLogs decides where the build logs go: the logs bucket of the build, else the default
// bucket of the project (created when missing), unless logging is Cloud Logging only or none.
func (s *Server) setUpLogs(st *buildState, number int64) error {
	b := st.b
	switch mode := b.GetOptions().GetLogging(); {
	case mode == cloudbuildpb.BuildOptions_CLOUD_LOGGING_ONLY, mode == cloudbuildpb.BuildOptions_NONE,
		mode.String() == "STACKDRIVER_ONLY": // the deprecated name of CLOUD_LOGGING_ONLY
		return nil
	}
	if b.LogsBucket == "" {
		bucket := fmt.Sprintf("%d.cloudbuild-logs.googleusercontent.com", number)
		if !s.GCS.BucketExists(bucket) {
			s.GCS.CreateBucket(bucket, "cloud-build-service")
		}
		b.LogsBucket = "gs://" + bucket
	}
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(b.LogsBucket, "gs://"), "/")
	if !s.GCS.BucketExists(bucket) {
		return status.Errorf(codes.FailedPrecondition, "the logs bucket %q does not exist or the build service account cannot write to it", b.LogsBucket)
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	st.logBucket, st.logObject = bucket, prefix+"log-"+b.Id+".txt"
	return nil
}

// lookup finds a build by name (projects/P/locations/L/builds/ID) or project and ID.
func (s *Server) lookup(name, projectID, id string) (*buildState, error) {
	if name != "" {
		parts := strings.Split(name, "/")
		if len(parts) != 6 || parts[0] != "projects" || parts[2] != "locations" || parts[4] != "builds" {
			return nil, invalid("invalid build name %q: expected projects/{project}/locations/{location}/builds/{id}", name)
		}
		projectID, id = parts[1], parts[5]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.builds[id]
	if !ok || (projectID != st.b.ProjectId && projectID != fmt.Sprint(s.ProjectNumber(st.b.ProjectId))) {
		return nil, status.Errorf(codes.NotFound, "build %q not found", id)
	}
	return st, nil
}

func (c *cloudBuild) GetBuild(ctx context.Context, req *cloudbuildpb.GetBuildRequest) (*cloudbuildpb.Build, error) {
	st, err := c.s.lookup(req.GetName(), req.GetProjectId(), req.GetId())
	if err != nil {
		return nil, err
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return st.snapshot(), nil
}

// ListBuilds lists the builds of a project in a location (global when only project_id is set),
// newest first, filtered (see buildFilter) and paged.
func (c *cloudBuild) ListBuilds(ctx context.Context, req *cloudbuildpb.ListBuildsRequest) (*cloudbuildpb.ListBuildsResponse, error) {
	project, location, err := parseParent(req.GetParent(), req.GetProjectId())
	if err != nil {
		return nil, err
	}
	if _, err := c.s.checkAccess(project, location, "cloudbuild.builds.list"); err != nil {
		return nil, err
	}
	filter, err := parseFilter(req.GetFilter())
	if err != nil {
		return nil, err
	}
	offset := 0
	if tok := req.GetPageToken(); tok != "" {
		if offset, err = strconv.Atoi(tok); err != nil || offset < 0 {
			return nil, invalid("invalid page token %q", tok)
		}
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []*cloudbuildpb.Build
	for i := len(s.order) - 1; i >= 0; i-- { // newest first
		if st := s.builds[s.order[i]]; st.b.ProjectId == project && st.location == location && filter.match(st.b) {
			matched = append(matched, st.snapshot())
		}
	}
	resp := &cloudbuildpb.ListBuildsResponse{}
	if offset >= len(matched) {
		return resp, nil
	}
	end := len(matched)
	if size := int(req.GetPageSize()); size > 0 && offset+size < end {
		end = offset + size
		resp.NextPageToken = strconv.Itoa(end)
	}
	resp.Builds = matched[offset:end]
	return resp, nil
}

func (c *cloudBuild) CancelBuild(ctx context.Context, req *cloudbuildpb.CancelBuildRequest) (*cloudbuildpb.Build, error) {
	st, err := c.s.lookup(req.GetName(), req.GetProjectId(), req.GetId())
	if err != nil {
		return nil, err
	}
	return c.s.cancelBuild(st)
}

// cancelBuild marks the build cancelled and tells its runner to stop.
func (s *Server) cancelBuild(st *buildState) (*cloudbuildpb.Build, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if terminal(st.b.Status) {
		return nil, status.Errorf(codes.FailedPrecondition, "build %s is already in a terminal state (%s)", st.b.Id, st.b.Status)
	}
	if !st.cancelled {
		st.cancelled = true
		close(st.cancel)
	}
	finish(st.b, cloudbuildpb.Build_CANCELLED)
	return st.snapshot(), nil
}

// finish sets the terminal status of a build and of its unfinished steps.
func finish(b *cloudbuildpb.Build, st cloudbuildpb.Build_Status) {
	now := timestamppb.Now()
	b.Status = st
	b.FinishTime = now
	for _, step := range b.Steps {
		switch step.Status {
		case cloudbuildpb.Build_WORKING:
			step.Status = st
			if step.Timing != nil && st != cloudbuildpb.Build_SUCCESS {
				step.Timing.EndTime = now
			}
		case cloudbuildpb.Build_QUEUED:
			if st == cloudbuildpb.Build_CANCELLED || st == cloudbuildpb.Build_TIMEOUT {
				step.Status = cloudbuildpb.Build_CANCELLED
			}
		}
	}
	if b.StartTime != nil {
		if b.Timing == nil {
			b.Timing = map[string]*cloudbuildpb.TimeSpan{}
		}
		b.Timing["BUILD"] = &cloudbuildpb.TimeSpan{StartTime: b.StartTime, EndTime: now}
	}
}
