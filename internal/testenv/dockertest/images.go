package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// Repo is the repository of the test images; a variant is its tag.
const Repo = "twittix-test/app"

// serverPackage is the import path of the program packed into the test images.
const serverPackage = "github.com/twittix/infra/internal/testenv/dockertest/testserver"

// Image returns the reference of the test image of variant.
func Image(variant string) string { return Repo + ":" + variant }

var (
	binaryOnce sync.Once
	binary     []byte
	binaryErr  error

	builtMu sync.Mutex
	built   = map[string]bool{}
)

// serverBinary compiles the test server once per process, statically (CGO_ENABLED=0), for a
// FROM-scratch image.
func serverBinary(ctx context.Context) ([]byte, error) {
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "testserver-")
		if err != nil {
			binaryErr = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "app")
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, serverPackage)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if msg, err := cmd.CombinedOutput(); err != nil {
			binaryErr = fmt.Errorf("failed to build the test server %s: %w\n%s", serverPackage, err, msg)
			return
		}
		binary, binaryErr = os.ReadFile(out)
	})
	return binary, binaryErr
}

// BuildImages builds, through the Engine API, one FROM-scratch image per variant, tagged
// Image(variant), with VERSION=variant baked in so that each variant has its own image ID.
// Variants already built by this process are skipped.
func BuildImages(ctx context.Context, c client.ImageBuildAPIClient, variants ...string) error {
	builtMu.Lock()
	defer builtMu.Unlock()
	bin, err := serverBinary(ctx)
	if err != nil {
		return err
	}
	for _, v := range variants {
		if built[v] {
			continue
		}
		if err := buildImage(ctx, c, bin, v); err != nil {
			return err
		}
		built[v] = true
	}
	return nil
}

// RequireImages builds the test image variants (once per test binary) or fails the test.
func RequireImages(t testing.TB, c client.ImageBuildAPIClient, variants ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := BuildImages(ctx, c, variants...); err != nil {
		t.Fatal(err)
	}
}

func buildImage(ctx context.Context, c client.ImageBuildAPIClient, bin []byte, variant string) error {
	dockerfile := fmt.Sprintf("FROM scratch\nCOPY app /app\nENV VERSION=%s\nENTRYPOINT [\"/app\"]\n", variant)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := []struct {
		name string
		mode int64
		data []byte
	}{
		{"Dockerfile", 0o644, []byte(dockerfile)},
		{"app", 0o755, bin},
	}
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	res, err := c.ImageBuild(ctx, &buf, client.ImageBuildOptions{
		Tags:   []string{Image(variant)},
		Remove: true,
		Labels: map[string]string{"io.twittix.infra.test": "true"},
	})
	if err != nil {
		return fmt.Errorf("failed to build image %s: %w", Image(variant), err)
	}
	defer res.Body.Close()
	return readBuildStream(res.Body, Image(variant))
}

// readBuildStream drains the JSON message stream of a build and returns the error it reports.
func readBuildStream(r io.Reader, image string) error {
	dec := json.NewDecoder(r)
	for {
		var msg struct {
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&msg); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("failed to read the build output of %s: %w", image, err)
		}
		if msg.Error != "" {
			return fmt.Errorf("failed to build image %s: %s", image, msg.Error)
		}
	}
}
