// Package apicalls records, for the whole test process, which Google API methods the fakes of
// internal/testenv received, so that a test package can check them against the committed list
// of methods its action may call (internal/iamcheck), from which the IAM permissions are derived.
//
// A method is named "<api host>/<method>": "cloudbuild.googleapis.com/google.devtools.cloudbuild.v1.CloudBuild/CreateBuild"
// for gRPC (the full gRPC method), "storage.googleapis.com/storage.objects.insert" for the Cloud
// Storage JSON API (its method ID).
package apicalls

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"google.golang.org/grpc"
)

var (
	mu     sync.Mutex
	called = map[string]int{}
)

// Record notes one call of method.
func Record(method string) {
	mu.Lock()
	defer mu.Unlock()
	called[method]++
}

// Called returns the methods recorded so far, sorted.
func Called() []string {
	mu.Lock()
	defer mu.Unlock()
	out := make([]string, 0, len(called))
	for m := range called {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// UnaryInterceptor returns a gRPC server interceptor recording every call under host
// (e.g. "run.googleapis.com"), failed calls included.
func UnaryInterceptor(host string) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		Record(host + info.FullMethod)
		return handler(ctx, req)
	}
}

// RecordStorage notes the Cloud Storage JSON API method of an HTTP request to the fake.
func RecordStorage(r *http.Request) {
	Record("storage.googleapis.com/" + StorageMethod(r.Method, r.URL.Path))
}

// StorageMethod names the Cloud Storage JSON API method (storage.objects.insert, ...) of an HTTP
// request; a request it does not know is named "storage.unknown <METHOD> <path>", so that it
// fails the check against the committed list until someone names it.
func StorageMethod(method, path string) string {
	p := strings.Trim(path, "/")
	switch {
	case strings.HasPrefix(p, "upload/storage/v1/b/") && strings.HasSuffix(p, "/o") && method == http.MethodPost:
		return "storage.objects.insert"
	case strings.HasPrefix(p, "download/storage/v1/b/") && method == http.MethodGet:
		return "storage.objects.get"
	case !strings.HasPrefix(p, "storage/v1/"):
		if method == http.MethodGet && strings.Count(p, "/") >= 1 {
			return "storage.objects.get" // an XML API read: GET /bucket/object
		}
		return fmt.Sprintf("storage.unknown %s /%s", method, p)
	}
	parts := strings.Split(strings.TrimPrefix(p, "storage/v1/"), "/")
	verbs := map[string]string{http.MethodGet: "get", http.MethodPost: "insert", http.MethodDelete: "delete", http.MethodPatch: "patch", http.MethodPut: "update"}
	switch {
	case len(parts) == 1 && parts[0] == "b" && method == http.MethodGet:
		return "storage.buckets.list"
	case len(parts) == 1 && parts[0] == "b":
		return "storage.buckets." + verbs[method]
	case len(parts) == 2 && parts[0] == "b":
		return "storage.buckets." + verbs[method]
	case len(parts) == 3 && parts[2] == "o" && method == http.MethodGet:
		return "storage.objects.list"
	case len(parts) >= 4 && parts[2] == "o" && verbs[method] != "":
		return "storage.objects." + verbs[method]
	}
	return fmt.Sprintf("storage.unknown %s /%s", method, p)
}

// Check returns an error naming every method recorded that allowed does not list, and how to fix it.
func Check(allowed []string, listName string) error {
	ok := map[string]bool{}
	for _, m := range allowed {
		ok[m] = true
	}
	var missing []string
	for _, m := range Called() {
		if !ok[m] {
			missing = append(missing, m)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("the tests called Google API methods that %s does not list:\n  %s\n"+
		"add each to that list and its IAM permission to internal/iamcheck/permissions.go; the permission test then checks that Terraform grants it",
		listName, strings.Join(missing, "\n  "))
}
