package cloudbuild

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"cloud.google.com/go/storage"
	"github.com/google/uuid"
	"github.com/twittix/infra/pkg/cloudbuild/source"
	"github.com/twittix/infra/pkg/field"
	"github.com/twittix/infra/pkg/gcp"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
)

// UploadChunkSize is the size of the chunks of the resumable upload; the client holds one chunk
// in memory.
const UploadChunkSize = 8 << 20

// Staged is the uploaded source archive.
type Staged struct {
	Bucket, Object string
	Generation     int64
	// Files, Dirs and Bytes describe what was packed; Compressed is the archive's size.
	Files, Dirs       int
	Bytes, Compressed int64
	Elapsed           time.Duration
}

// URL is gs://bucket/object.
func (s Staged) URL() string { return "gs://" + s.Bucket + "/" + s.Object }

// DefaultStagingBucket is gcloud's default bucket for sources: the project ID with ":" and "."
// turned into "_" and "google" into "elgoog", then "_cloudbuild".
func DefaultStagingBucket(project string) string {
	safe := strings.NewReplacer(":", "_", ".", "_").Replace(project)
	return strings.ReplaceAll(safe, "google", "elgoog") + "_cloudbuild"
}

// stagingObject names the archive as gcloud does: PREFIX/<seconds.micros>-<uuid hex>.tgz.
func stagingObject(prefix string, now time.Time) string {
	stamp := strconv.FormatFloat(float64(now.UnixMicro())/1e6, 'f', -1, 64)
	name := fmt.Sprintf("%s-%s.tgz", stamp, strings.ReplaceAll(uuid.NewString(), "-", ""))
	if prefix == "" {
		return name
	}
	return prefix + "/" + name
}

// Stage packs the listing and streams it into a resumable upload to the staging bucket (created
// when it is gcloud's default and missing), with no temporary file.
func (c *Client) Stage(ctx context.Context, project, stagingDir string, l *source.Listing) (*Staged, error) {
	bucket, prefix, isDefault := DefaultStagingBucket(project), "source", true
	if stagingDir != "" {
		var err error
		if bucket, prefix, err = ParseGCSURL(stagingDir); err != nil {
			return nil, field.Errorf(FieldStagingDir, "%v", err)
		}
		isDefault = false
	}
	if err := c.ensureBucket(ctx, project, bucket, isDefault); err != nil {
		return nil, err
	}
	object := stagingObject(prefix, c.now())
	st := &Staged{Bucket: bucket, Object: object}
	c.log.Infof("Uploading tarball of [%s] to [%s]", l.Root, st.URL())
	start := c.now()

	// Retries of the whole upload would need the stream again: the client retries chunks
	// instead (the object is written only if it does not exist, which makes that safe).
	uctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := c.storage.Bucket(bucket).Object(object).If(storage.Conditions{DoesNotExist: true}).NewWriter(uctx)
	w.ChunkSize = UploadChunkSize
	w.ContentType = "application/gzip"
	counter := &countWriter{w: w}
	stop := c.reportUpload(counter)
	stats, err := source.Pack(uctx, l, counter, c.pack)
	stop()
	if err != nil {
		cancel() // abandons the upload
		_ = w.Close()
		return nil, fmt.Errorf("failed to upload the source to %s: %w", st.URL(), gcp.Explain(err))
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("failed to upload the source to %s: %w", st.URL(), gcp.Explain(err))
	}
	st.Generation = w.Attrs().Generation
	st.Files, st.Dirs, st.Bytes, st.Compressed = stats.Files, stats.Dirs, stats.Bytes, stats.Compressed
	st.Elapsed = c.now().Sub(start)
	c.log.Infof("Uploaded %d files (%s, %s compressed) in %s", st.Files, humanBytes(st.Bytes), humanBytes(st.Compressed), st.Elapsed.Round(10*time.Millisecond))
	return st, nil
}

// reportUpload prints the progress of a long upload every 10 seconds; the returned function stops.
func (c *Client) reportUpload(cw *countWriter) func() {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				c.log.Infof("... %s uploaded", humanBytes(cw.n.Load()))
			}
		}
	}()
	return func() { close(done) }
}

// ensureBucket makes sure the staging bucket exists and, when it is the default one, that it
// belongs to the project: a bucket of that name in another project could belong to anyone
// (gcloud refuses it too).
func (c *Client) ensureBucket(ctx context.Context, project, bucket string, isDefault bool) error {
	handle := c.storage.Bucket(bucket)
	err := gcp.Retry(ctx, c.retry, func(ctx context.Context) error {
		_, err := handle.Attrs(ctx)
		return err
	})
	switch {
	case errors.Is(err, storage.ErrBucketNotExist):
		cerr := gcp.Retry(ctx, c.retry, func(ctx context.Context) error {
			return handle.Create(ctx, project, &storage.BucketAttrs{Location: "US", UniformBucketLevelAccess: storage.UniformBucketLevelAccess{Enabled: true}})
		})
		var gerr *googleapi.Error
		if errors.As(cerr, &gerr) && gerr.Code == http.StatusConflict {
			cerr = nil // created meanwhile, or taken: the ownership check below tells
		}
		if cerr != nil {
			return fmt.Errorf("failed to create the staging bucket gs://%s: %w", bucket, gcp.Explain(cerr))
		}
		if !isDefault {
			c.log.Infof("Created bucket gs://%s", bucket)
		}
	case err != nil:
		if gcp.IsPermissionDenied(err) && isDefault {
			return field.Errorf(FieldStagingDir, "the default staging bucket gs://%s exists but cannot be read; it may belong to another project: set %s to a bucket of yours (%v)", bucket, FieldStagingDir, gcp.Explain(err))
		}
		return fmt.Errorf("failed to read the staging bucket gs://%s: %w", bucket, gcp.Explain(err))
	}
	if !isDefault {
		return nil
	}
	owned, err := c.bucketInProject(ctx, project, bucket)
	if err != nil {
		return fmt.Errorf("failed to list the buckets of project %s: %w", project, gcp.Explain(err))
	}
	if !owned {
		return field.Errorf(FieldStagingDir, "a bucket named %s already exists and is owned by another project; set %s to a bucket of yours (gs://BUCKET/source)", bucket, FieldStagingDir)
	}
	return nil
}

func (c *Client) bucketInProject(ctx context.Context, project, bucket string) (bool, error) {
	var found bool
	err := gcp.Retry(ctx, c.retry, func(ctx context.Context) error {
		it := c.storage.Buckets(ctx, project)
		it.Prefix = bucket
		for {
			attrs, err := it.Next()
			if errors.Is(err, iterator.Done) {
				return nil
			}
			if err != nil {
				return err
			}
			if attrs.Name == bucket {
				found = true
				return nil
			}
		}
	})
	return found, err
}

type countWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// humanBytes prints a size as gcloud does (KiB, MiB, GiB).
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
