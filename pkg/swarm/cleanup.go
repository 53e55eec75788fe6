package swarm

import (
	"context"
	"time"
)

// DefaultCleanupBudget is the time Deploy has, once its context is cancelled or the deploy is
// over, to release the lock and read the final state: the CleanupBudget of the actions (see
// package action), which must be done before the runner kills the process.
const DefaultCleanupBudget = 6 * time.Second

// cleanupContext returns the context of the clean-up: not cancelled with ctx, and bounded by the
// caller's budget.
func (r *run) cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), r.opts.CleanupBudget)
}

// lock takes the stack's deploy lock.
func (r *run) lock(ctx context.Context) (*lock, error) {
	holder := r.opts.Holder
	if holder == "" {
		holder = defaultHolder()
	}
	return acquireLock(ctx, r.c, r.log, r.opts.Stack, holder, r.opts.LockTTL, r.opts.LockWait)
}

// release removes the lock within the cleanup budget, and warns how to remove it by hand when it
// cannot.
func (r *run) release(ctx context.Context, l *lock) {
	ctx, cancel := r.cleanupContext(ctx)
	defer cancel()
	r.releaseWithin(ctx, l)
}

// releaseWithin is release on a cleanup context already made.
func (r *run) releaseWithin(ctx context.Context, l *lock) {
	if err := l.release(ctx); err != nil {
		r.log.Warnf("%v: remove it with `docker config rm %s`", err, lockName(r.opts.Stack))
	}
}
