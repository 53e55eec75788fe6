package apicalls

import (
	"strings"
	"testing"
)

func TestStorageMethod(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"GET", "/storage/v1/b", "storage.buckets.list"},
		{"POST", "/storage/v1/b", "storage.buckets.insert"},
		{"GET", "/storage/v1/b/src", "storage.buckets.get"},
		{"GET", "/storage/v1/b/src/o", "storage.objects.list"},
		{"GET", "/storage/v1/b/logs/o/log-1.txt", "storage.objects.get"},
		{"GET", "/storage/v1/b/logs/o/dir%2Flog-1.txt", "storage.objects.get"},
		{"DELETE", "/storage/v1/b/src/o/source/x.tgz", "storage.objects.delete"},
		{"POST", "/upload/storage/v1/b/src/o", "storage.objects.insert"},
		{"GET", "/download/storage/v1/b/logs/o/log-1.txt", "storage.objects.get"},
		{"GET", "/logs/log-1.txt", "storage.objects.get"},
		{"POST", "/batch/storage/v1", "storage.unknown POST /batch/storage/v1"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			if got := StorageMethod(tc.method, tc.path); got != tc.want {
				t.Errorf("StorageMethod(%s, %s) = %q, want %q", tc.method, tc.path, got, tc.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	Record("run.googleapis.com/google.cloud.run.v2.Services/GetService")
	Record("run.googleapis.com/google.cloud.run.v2.Services/UpdateService")
	if err := Check([]string{"run.googleapis.com/google.cloud.run.v2.Services/GetService", "run.googleapis.com/google.cloud.run.v2.Services/UpdateService"}, "the list"); err != nil {
		t.Errorf("Check with every method listed: %v", err)
	}
	err := Check([]string{"run.googleapis.com/google.cloud.run.v2.Services/GetService"}, "the list")
	if err == nil {
		t.Fatal("Check passed with UpdateService called but not listed")
	}
	if want := "run.googleapis.com/google.cloud.run.v2.Services/UpdateService"; !strings.Contains(err.Error(), want) {
		t.Errorf("Check error %q does not name %s", err, want)
	}
}
