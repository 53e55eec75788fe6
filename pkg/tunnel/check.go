package tunnel

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// CheckTimeout bounds each check of Check.
const CheckTimeout = 5 * time.Second

// CheckResult is what answered on one forwarded port.
type CheckResult struct {
	Binding Binding
	// Status is the HTTP status line's code and text ("200 OK"), empty when no HTTP answer came.
	Status string
	// Err is why the port could not be used, nil when it answered (over HTTP or not).
	Err error
	// NotHTTP is true when the connection worked but the service did not answer HTTP.
	NotHTTP bool
}

// String says what answered, in a few words.
func (r CheckResult) String() string {
	switch {
	case r.Err != nil:
		return "FAILED: " + r.Err.Error()
	case r.NotHTTP:
		return "open (no HTTP answer)"
	}
	return "HTTP " + r.Status
}

// Check opens each binding's local port once, through the tunnel, and sends an HTTP GET /; the
// checks run at once, and the results come in the order of bindings.
func Check(ctx context.Context, bindings []Binding) []CheckResult {
	out := make([]CheckResult, len(bindings))
	var wg sync.WaitGroup
	for i, b := range bindings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = checkOne(ctx, b)
		}()
	}
	wg.Wait()
	return out
}

func checkOne(parent context.Context, b Binding) CheckResult {
	r := CheckResult{Binding: b}
	ctx, cancel := context.WithTimeout(parent, CheckTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", b.LocalAddr())
	if err != nil {
		r.Err = cancelled(parent, err)
		return r
	}
	defer c.Close()
	defer context.AfterFunc(ctx, func() { c.Close() })()
	if _, err := fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: twittix-infra-tunnel-check\r\nConnection: close\r\n\r\n", b.LocalAddr()); err != nil {
		r.Err = cancelled(parent, err)
		return r
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	switch {
	case strings.HasPrefix(line, "HTTP/1."):
		if _, status, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			r.Status = status
			return r
		}
		r.NotHTTP = true
	case parent.Err() != nil:
		// Stopped before an answer came: that says nothing of the service.
		r.Err = cancelled(parent, err)
	case ctx.Err() != nil && err != nil:
		// Connected, but nothing answered a GET within CheckTimeout: a service that speaks
		// another protocol.
		r.NotHTTP = true
	case errors.Is(err, io.EOF) && line == "":
		r.Err = errors.New("the connection closed without an answer: nothing listens on the remote port, or the forward was refused (see the log)")
	case err != nil:
		r.Err = fmt.Errorf("%w: nothing listens on the remote port, or the forward was refused (see the log)", err)
	default:
		r.NotHTTP = true
	}
	return r
}

// cancelled returns err, or when parent ended, an error saying that the check was cancelled.
func cancelled(parent context.Context, err error) error {
	if parent.Err() == nil {
		return err
	}
	return fmt.Errorf("cancelled before an answer came (%w)", context.Cause(parent))
}
