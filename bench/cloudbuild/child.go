package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"time"

	"cloud.google.com/go/storage"

	"github.com/twittix/infra/pkg/cloudbuild"
	"github.com/twittix/infra/pkg/cloudbuild/source"
	"github.com/twittix/infra/pkg/gcp"
	"google.golang.org/api/option"
)

// childResult is what a child process measured itself; MaxRSS is filled by the parent from the
// child's rusage.
type childResult struct {
	Elapsed    time.Duration
	Files      int
	Bytes      int64
	Compressed int64
	// GoPeak is the peak of the memory the Go runtime had mapped (heap, stacks, runtime
	// structures), sampled in the child: what the work allocated, without the binary's pages.
	GoPeak int64
	// MaxRSS is the peak resident memory of the child (VmHWM), read by the child itself: the
	// rusage a parent gets from wait4 is useless here, since Linux carries the parent's peak over
	// into a child started with fork+exec.
	MaxRSS int64
}

// runChild runs the measured work in a child process (this program, with -child) so that its peak
// memory is its own: the generator's buffers and the fake server's copy of the upload are not in it.
func runChild(mode, dir, gcsEndpoint string, extra ...string) (childResult, error) {
	self, err := os.Executable()
	if err != nil {
		return childResult{}, err
	}
	cmd := exec.Command(self, append([]string{"-child", mode, "-tree", dir, "-gcs", gcsEndpoint}, extra...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return childResult{}, fmt.Errorf("child %s: %w", mode, err)
	}
	var res childResult
	if err := json.Unmarshal(out, &res); err != nil {
		return res, fmt.Errorf("child %s printed %q: %w", mode, out, err)
	}
	return res, nil
}

// child is the body of a child process: idle (nothing: the binary's own footprint), pack (list +
// pack to nowhere), upload (list + pack + resumable upload to the fake Cloud Storage of the
// parent, as the action does) or rawupload (the same upload of rawBytes random bytes, no packing:
// what the fake's ingestion alone costs).
func child(mode, dir, gcsEndpoint string, rawBytes int64) error {
	peak := sampleGoMemory()
	start := time.Now()
	switch mode {
	case "idle":
		return json.NewEncoder(os.Stdout).Encode(childResult{GoPeak: peak(), MaxRSS: vmHWM()})
	case "rawupload":
		if err := rawUpload(gcsEndpoint, rawBytes); err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(childResult{Elapsed: time.Since(start), Compressed: rawBytes, GoPeak: peak(), MaxRSS: vmHWM()})
	}
	l, err := source.List(dir, source.ListOptions{})
	if err != nil {
		return err
	}
	var res childResult
	switch mode {
	case "pack":
		st, err := source.Pack(context.Background(), l, io.Discard, source.PackOptions{})
		if err != nil {
			return err
		}
		res = childResult{Files: st.Files, Bytes: st.Bytes, Compressed: st.Compressed}
	case "upload":
		ctx := context.Background()
		cfg := gcp.Config{Project: benchProject, Insecure: true, Endpoints: map[gcp.Service]string{gcp.Storage: gcsEndpoint}}
		sess, err := gcp.Connect(ctx, cfg)
		if err != nil {
			return err
		}
		st, err := storage.NewClient(ctx, append(sess.ClientOptions(gcp.Storage), storage.WithJSONReads())...)
		if err != nil {
			return err
		}
		defer st.Close()
		c := cloudbuild.New(nil, st, cloudbuild.Options{}) // staging only: no Cloud Build client needed
		staged, err := c.Stage(ctx, benchProject, "", l)
		if err != nil {
			return err
		}
		res = childResult{Files: staged.Files, Bytes: staged.Bytes, Compressed: staged.Compressed}
	default:
		return fmt.Errorf("unknown child mode %q", mode)
	}
	res.Elapsed = time.Since(start)
	res.GoPeak = peak()
	res.MaxRSS = vmHWM()
	return json.NewEncoder(os.Stdout).Encode(res)
}

// rawUpload writes n random bytes to the fake Cloud Storage with the writer settings Stage uses.
func rawUpload(gcsEndpoint string, n int64) error {
	ctx := context.Background()
	st, err := storage.NewClient(ctx, option.WithEndpoint(gcsEndpoint), option.WithoutAuthentication(), storage.WithJSONReads())
	if err != nil {
		return err
	}
	defer st.Close()
	bucket := st.Bucket("bench-raw")
	if err := bucket.Create(ctx, benchProject, nil); err != nil && !strings.Contains(err.Error(), "already exists") {
		return err
	}
	w := bucket.Object(fmt.Sprintf("raw-%d", time.Now().UnixNano())).NewWriter(ctx)
	w.ChunkSize = cloudbuild.UploadChunkSize
	buf := make([]byte, 256<<10)
	r := rand.New(rand.NewPCG(1, 2))
	for left := n; left > 0; left -= int64(len(buf)) {
		for i := range buf {
			buf[i] = byte(r.Uint32())
		}
		if _, err := w.Write(buf[:min(int64(len(buf)), left)]); err != nil {
			return err
		}
	}
	return w.Close()
}

// vmHWM returns the peak resident memory of this process (Linux), 0 when unknown.
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb)
			return kb * 1024
		}
	}
	return 0
}

// sampleGoMemory samples the memory mapped by the Go runtime every millisecond; the returned
// function stops and returns the peak.
func sampleGoMemory() func() int64 {
	sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	var peak atomic.Int64
	read := func() {
		metrics.Read(sample)
		if v := int64(sample[0].Value.Uint64()); v > peak.Load() {
			peak.Store(v)
		}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				read()
			}
		}
	}()
	return func() int64 {
		close(done)
		read()
		return peak.Load()
	}
}
