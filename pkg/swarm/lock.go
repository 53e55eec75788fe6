package swarm

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/twittix/infra/pkg/logging"
)

// The deploy lock of a stack is a Swarm config named <stack>_deploy-lock. Creating a config with
// a name that exists fails in the Raft store, so the creation is the atomic test-and-set. Its
// labels say who holds it and until when: a run that finds an expired lock removes it and tries
// again. The config carries no stack label, so `docker stack rm` leaves a running deploy's lock.

const (
	lockSuffix        = "_deploy-lock"
	labelLockStack    = "io.twittix.infra.lock.stack"
	labelLockHolder   = "io.twittix.infra.lock.holder"
	labelLockAcquired = "io.twittix.infra.lock.acquired"
	labelLockExpires  = "io.twittix.infra.lock.expires"
	lockRetryInterval = time.Second
)

// lock is a held deploy lock.
type lock struct {
	c  Client
	id string
}

// lockName returns the name of the config that locks stack.
func lockName(stack string) string { return stack + lockSuffix }

// defaultHolder names this process when the caller does not.
func defaultHolder() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s (pid %d)", host, os.Getpid())
}

// acquireLock takes the stack's lock. When another run holds it, it refuses at once (wait 0), or
// retries until wait has passed. An expired lock is broken with a warning.
func acquireLock(ctx context.Context, c Client, log logging.Logger, stack, holder string, ttl, wait time.Duration) (*lock, error) {
	name := lockName(stack)
	deadline := time.Now().Add(wait)
	announced := false
	for {
		now := time.Now().UTC()
		spec := swarm.ConfigSpec{
			Annotations: swarm.Annotations{Name: name, Labels: map[string]string{
				labelLockStack:    stack,
				labelLockHolder:   holder,
				labelLockAcquired: now.Format(time.RFC3339),
				labelLockExpires:  now.Add(ttl).Format(time.RFC3339),
			}},
		}
		spec.Data, _ = json.Marshal(map[string]string{"holder": holder, "acquired": now.Format(time.RFC3339)})
		res, err := c.ConfigCreate(ctx, client.ConfigCreateOptions{Spec: spec})
		if err == nil {
			return &lock{c: c, id: res.ID}, nil
		}
		if !cerrdefs.IsConflict(err) && !cerrdefs.IsAlreadyExists(err) {
			return nil, fmt.Errorf("failed to take the deploy lock %s: %w", name, err)
		}

		held, err := findConfig(ctx, c, name)
		if err != nil {
			return nil, fmt.Errorf("failed to read the deploy lock %s: %w", name, err)
		}
		if held == nil {
			continue // released in between: try again
		}
		labels := held.Spec.Labels
		expires, perr := time.Parse(time.RFC3339, labels[labelLockExpires])
		if perr != nil || time.Now().After(expires) {
			log.Warnf("breaking the stale deploy lock of stack %s held by %s since %s (expired at %s)",
				stack, labels[labelLockHolder], labels[labelLockAcquired], labels[labelLockExpires])
			if _, err := c.ConfigRemove(ctx, held.ID, client.ConfigRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
				return nil, fmt.Errorf("failed to break the stale deploy lock %s: %w", name, err)
			}
			continue
		}
		if !time.Now().Before(deadline) {
			return nil, fmt.Errorf("%w: stack %s is being deployed by %s (since %s, lock expires at %s); "+
				"wait for that run to finish, set a lock wait to queue behind it, or, if that run is gone, remove the lock with `docker config rm %s`",
				errLocked, stack, labels[labelLockHolder], labels[labelLockAcquired], labels[labelLockExpires], name)
		}
		if !announced {
			log.Infof("waiting up to %s for the deploy of stack %s by %s to finish", time.Until(deadline).Round(time.Second), stack, labels[labelLockHolder])
			announced = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(lockRetryInterval, max(time.Until(deadline), 10*time.Millisecond))):
		}
	}
}

// release removes the lock. ctx must outlive the deploy's own context (see cleanupContext), so
// that a cancelled deploy still releases its lock.
func (l *lock) release(ctx context.Context) error {
	if _, err := l.c.ConfigRemove(ctx, l.id, client.ConfigRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("failed to release the deploy lock: %w", err)
	}
	return nil
}

// findConfig returns the config named name exactly, or nil.
func findConfig(ctx context.Context, c Client, name string) (*swarm.Config, error) {
	res, err := c.ConfigList(ctx, client.ConfigListOptions{Filters: make(client.Filters).Add("name", name)})
	if err != nil {
		return nil, err
	}
	for i := range res.Items {
		if res.Items[i].Spec.Name == name {
			return &res.Items[i], nil
		}
	}
	return nil, nil
}
