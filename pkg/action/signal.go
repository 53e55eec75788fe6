package action

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// CleanupBudget is the time a command has to clean up once its job is cancelled. GitHub sends
// SIGINT, then SIGTERM 7.5 s later, then kills the process 2.5 s after that: the critical cleanup
// (cancel the build, put the traffic back, release the lock) must be done within the first 7.5 s,
// so commands budget 6 s for it.
const CleanupBudget = 6 * time.Second

// NotifyContext returns a context cancelled by the first SIGINT or SIGTERM, with the signal as
// its cause. Later signals do not kill the process, so that the command can finish cleaning up
// within CleanupBudget; they are noted on w. stop releases the signal handlers.
func NotifyContext(parent context.Context, w io.Writer) (ctx context.Context, stop func()) {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, done := notifyContext(parent, sigs, w)
	return ctx, func() {
		signal.Stop(sigs)
		done()
	}
}

func notifyContext(parent context.Context, sigs <-chan os.Signal, w io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	quit := make(chan struct{})
	go func() {
		for n := 0; ; n++ {
			select {
			case <-quit:
				return
			case s := <-sigs:
				if n == 0 {
					cancel(fmt.Errorf("received %v", s))
					continue
				}
				fmt.Fprintf(w, "received %v again: still cleaning up (at most %s)\n", s, CleanupBudget)
			}
		}
	}()
	return ctx, func() {
		close(quit)
		cancel(context.Canceled)
	}
}
