package swarm

import (
	"context"
	"errors"
	"sync"
)

// maxParallel bounds the Engine API calls one step makes at once.
const maxParallel = 10

// parallel runs fn for 0..n-1 with at most limit calls at a time and returns their errors joined,
// in index order.
func parallel(ctx context.Context, n, limit int, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	errs := make([]error, n)
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := ctx.Err(); err != nil {
				errs[i] = err
				return
			}
			errs[i] = fn(ctx, i)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
