package fakecloudbuild

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// srcFile is one entry of the fetched source.
type srcFile struct {
	typ     byte
	mode    int64
	content []byte
	link    string
}

// fetchSource reads the build's source object from the fake Cloud Storage and unpacks it, as the
// FETCHSOURCE phase does. A missing or unreadable archive fails the build.
func (r *runner) fetchSource() error {
	src := r.b.GetSource().GetStorageSource()
	if src == nil {
		r.files = map[string]srcFile{}
		return nil
	}
	start := timestamppb.Now()
	if err := r.log("FETCHSOURCE"); err != nil {
		return err
	}
	url := fmt.Sprintf("gs://%s/%s", src.Bucket, src.Object)
	if src.Generation != 0 {
		url = fmt.Sprintf("%s#%d", url, src.Generation)
	}
	if err := r.log("Fetching storage object: %s", url); err != nil {
		return err
	}
	obj, err := r.s.GCS.Fake.GetObject(src.Bucket, src.Object)
	if err != nil {
		r.fail(cloudbuildpb.Build_FAILURE, &cloudbuildpb.Build_FailureInfo{Type: cloudbuildpb.Build_FailureInfo_FETCH_SOURCE_FAILED,
			Detail: "failed to fetch " + url}, fmt.Sprintf("failed to fetch source %s: object not found", url))
		return nil
	}
	files, err := untar(obj.Content)
	if err != nil {
		r.fail(cloudbuildpb.Build_FAILURE, &cloudbuildpb.Build_FailureInfo{Type: cloudbuildpb.Build_FailureInfo_FETCH_SOURCE_FAILED,
			Detail: "failed to unpack " + url}, fmt.Sprintf("failed to unpack source %s: %v", url, err))
		return nil
	}
	r.files = files
	for _, line := range []string{
		fmt.Sprintf("Copying %s...", url),
		fmt.Sprintf("/ [1 files][%7d B/%7d B]", len(obj.Content), len(obj.Content)),
		fmt.Sprintf("Operation completed over 1 objects/%d B.", len(obj.Content)),
	} {
		if err := r.log("%s", line); err != nil {
			return err
		}
	}
	r.update(func(b *cloudbuildpb.Build) {
		if b.Timing == nil {
			b.Timing = map[string]*cloudbuildpb.TimeSpan{}
		}
		b.Timing["FETCHSOURCE"] = &cloudbuildpb.TimeSpan{StartTime: start, EndTime: timestamppb.Now()}
	})
	return nil
}

// untar reads a gzip'd tar into memory (tests upload small sources).
func untar(b []byte) (map[string]srcFile, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("not a gzip stream: %w", err)
	}
	tr := tar.NewReader(zr)
	files := map[string]srcFile{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(path.Clean(h.Name), "/")
		f := srcFile{typ: h.Typeflag, mode: h.Mode, link: h.Linkname}
		if h.Typeflag == tar.TypeReg {
			if f.content, err = io.ReadAll(tr); err != nil {
				return nil, err
			}
		}
		files[name] = f
	}
}

// read returns the content of a source file, following symbolic and hard links.
func (r *runner) read(name string) ([]byte, bool) {
	name = path.Clean(strings.TrimPrefix(name, "/workspace/"))
	for range 10 {
		f, ok := r.files[name]
		switch {
		case !ok:
			return nil, false
		case f.typ == tar.TypeSymlink:
			name = path.Clean(path.Join(path.Dir(name), f.link))
		case f.typ == tar.TypeLink:
			name = path.Clean(f.link)
		case f.typ == tar.TypeReg:
			return f.content, true
		default:
			return nil, false
		}
	}
	return nil, false
}

// list returns the paths of the source, sorted.
func (r *runner) list() []string {
	paths := make([]string, 0, len(r.files))
	for p := range r.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}
