package cloudbuild

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/twittix/infra/pkg/gcp"
)

// TestEndpointsEnv names the environment variable through which a test reaches in-process fakes
// with the real twittix-infra binary (to test its signal handling as the runner drives it):
// "cloudbuild=127.0.0.1:PORT,storage=http://127.0.0.1:PORT/storage/v1/". When it is set, the
// cloud-build command connects to those endpoints without authentication nor TLS, and says so.
// Only loopback addresses are accepted: the variable can reach nothing but a local fake. No other
// command reads it.
const TestEndpointsEnv = "TWITTIX_INFRA_TEST_ENDPOINTS"

// testEndpoints parses the value of TestEndpointsEnv.
func testEndpoints(v string) (map[gcp.Service]string, error) {
	eps := map[gcp.Service]string{}
	for _, item := range strings.Split(v, ",") {
		name, ep, ok := strings.Cut(strings.TrimSpace(item), "=")
		svc := gcp.Service(name)
		if !ok || (svc != gcp.CloudBuild && svc != gcp.Storage) {
			return nil, fmt.Errorf("%s: %q is not cloudbuild=HOST:PORT or storage=URL", TestEndpointsEnv, item)
		}
		host := ep
		if svc == gcp.Storage {
			u, err := url.Parse(ep)
			if err != nil || u.Scheme != "http" {
				return nil, fmt.Errorf("%s: storage endpoint %q is not an http:// URL", TestEndpointsEnv, ep)
			}
			host = u.Host
		}
		if h, _, err := net.SplitHostPort(host); err != nil || !isLoopback(h) {
			return nil, fmt.Errorf("%s: %s endpoint %q is not on a loopback address; the variable only serves to reach local fakes in tests", TestEndpointsEnv, name, ep)
		}
		eps[svc] = ep
	}
	if eps[gcp.CloudBuild] == "" || eps[gcp.Storage] == "" {
		return nil, fmt.Errorf("%s: set both cloudbuild= and storage= endpoints", TestEndpointsEnv)
	}
	return eps, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
