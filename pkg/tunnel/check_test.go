package tunnel

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
)

// TestCheckCancelledIsNotAnAnswer cancels Check while a service that never answers holds the
// connection: the port must be reported as not checked, not as "open (no HTTP answer)", which
// only CheckTimeout passing says.
func TestCheckCancelledIsNotAnAnswer(t *testing.T) {
	t.Parallel()
	asked := make(chan struct{}, 1)
	silent := tcpServer(t, func(c net.Conn) {
		// The request came: the check is waiting for the answer.
		if _, err := bufio.NewReader(c).ReadString('\n'); err == nil {
			asked <- struct{}{}
		}
		_, _ = io.Copy(io.Discard, c)
	})
	b := Binding{Forward: Forward{Host: "127.0.0.1", RemotePort: silent}, LocalPort: silent}
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		<-asked
		cancel(errors.New("interrupted"))
	}()
	r := Check(ctx, []Binding{b})[0]
	if r.Err == nil || r.NotHTTP || r.Status != "" {
		t.Fatalf("Check cancelled while waiting for an answer = %q (NotHTTP %v, Err %v), want an error", r, r.NotHTTP, r.Err)
	}
	for _, want := range []string{"FAILED", "cancelled", "interrupted"} {
		if !strings.Contains(r.String(), want) {
			t.Errorf("result %q does not say %q", r, want)
		}
	}

	t.Run("cancelled before it starts", func(t *testing.T) {
		r := Check(ctx, []Binding{b})[0]
		if r.Err == nil || !strings.Contains(r.String(), "cancelled") {
			t.Errorf("Check with a cancelled context = %q, want it cancelled", r)
		}
	})
}
