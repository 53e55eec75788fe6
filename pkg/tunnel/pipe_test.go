package tunnel

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// writerToSource is a reader that also offers WriteTo, as a local *net.TCPConn does.
type writerToSource struct {
	io.Reader
	used bool
}

func (s *writerToSource) WriteTo(w io.Writer) (int64, error) {
	s.used = true
	return io.Copy(w, s.Reader)
}

// TestCopyBufUsesThePooledBuffer: copyBuf copies through its pooled buffer, never through the
// source's own WriteTo (which allocates a buffer per connection).
func TestCopyBufUsesThePooledBuffer(t *testing.T) {
	t.Parallel()
	src := &writerToSource{Reader: strings.NewReader("payload")}
	var dst bytes.Buffer
	if err := copyBuf(&dst, src); err != nil {
		t.Fatal(err)
	}
	if got, want := dst.String(), "payload"; got != want {
		t.Errorf("copied %q, want %q", got, want)
	}
	if src.used {
		t.Error("copyBuf used the source's WriteTo instead of the pooled buffer")
	}
}
