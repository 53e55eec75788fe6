package gcp

import (
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Service names a Google API, to pick its endpoint and transport.
type Service string

// The services the actions use.
const (
	CloudBuild Service = "cloudbuild" // gRPC
	Storage    Service = "storage"    // HTTP (JSON API)
	Run        Service = "run"        // gRPC
	Monitoring Service = "monitoring" // gRPC
	Operations Service = "operations" // gRPC (long-running operations of a gRPC service)
)

// grpc reports whether the Go client of s speaks gRPC.
func (s Service) grpc() bool { return s != Storage }

// ClientOptions returns the options to create the Go client of svc with: the session's credentials
// and user agent, or, with Config.Insecure, no authentication and a plaintext connection to the
// endpoint Config.Endpoints gives (tests only).
func (s *Session) ClientOptions(svc Service) []option.ClientOption {
	var opts []option.ClientOption
	if ep, ok := s.cfg.Endpoints[svc]; ok && ep != "" {
		opts = append(opts, option.WithEndpoint(ep))
	}
	if s.cfg.UserAgent != "" {
		opts = append(opts, option.WithUserAgent(s.cfg.UserAgent))
	}
	if s.cfg.Insecure {
		opts = append(opts, option.WithoutAuthentication())
		if svc.grpc() {
			opts = append(opts, option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
		}
		return opts
	}
	if s.creds != nil {
		opts = append(opts, option.WithAuthCredentials(s.creds))
	}
	return opts
}
