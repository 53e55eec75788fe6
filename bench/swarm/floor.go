package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/docker/cli/cli/compose/convert"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// floorPoll is the floor's poll interval.
const floorPoll = 50 * time.Millisecond

// floorTimes are the moments of a floor update, from its start.
type floorTimes struct {
	start  time.Time
	issued time.Duration // every ServiceUpdate answered
	total  time.Duration // every update seen complete
	polls  int
}

// floorUpdate is the least a client can do to update every service of stack to image: one
// ServiceList for the versions, one ServiceUpdate per service, all at once, straight to the
// local socket, then a poll of ServiceList and TaskList every 50 ms until each service's update
// completed and all its desired tasks run at the new spec (what deploy-swarm waits for).
func floorUpdate(ctx context.Context, c *client.Client, stack, image string) (floorTimes, error) {
	start := time.Now()
	filter := make(client.Filters).Add("label", convert.LabelNamespace+"="+stack)
	list, err := c.ServiceList(ctx, client.ServiceListOptions{Filters: filter})
	if err != nil {
		return floorTimes{}, fmt.Errorf("floor: list the services of %s: %w", stack, err)
	}
	if len(list.Items) == 0 {
		return floorTimes{}, fmt.Errorf("floor: stack %s has no services", stack)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, s := range list.Items {
		spec := s.Spec
		if spec.TaskTemplate.ContainerSpec == nil {
			return floorTimes{}, fmt.Errorf("floor: service %s has no container spec", spec.Name)
		}
		cs := *spec.TaskTemplate.ContainerSpec
		cs.Image = image
		spec.TaskTemplate.ContainerSpec = &cs
		wg.Go(func() {
			if _, err := c.ServiceUpdate(ctx, s.ID, client.ServiceUpdateOptions{Version: s.Version, Spec: spec}); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("floor: update %s: %w", spec.Name, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return floorTimes{}, err
	}
	ft := floorTimes{start: start, issued: time.Since(start)}
	tick := time.NewTicker(floorPoll)
	defer tick.Stop()
	for {
		ft.polls++
		done, err := floorDone(ctx, c, filter, image, start)
		if err != nil {
			return ft, err
		}
		if done {
			ft.total = time.Since(start)
			return ft, nil
		}
		select {
		case <-ctx.Done():
			return ft, ctx.Err()
		case <-tick.C:
		}
	}
}

// floorDone reports whether every service of the filter completed an update started after since
// and runs all its desired tasks with image.
func floorDone(ctx context.Context, c *client.Client, filter client.Filters, image string, since time.Time) (bool, error) {
	svcs, err := c.ServiceList(ctx, client.ServiceListOptions{Filters: filter})
	if err != nil {
		return false, fmt.Errorf("floor: poll the services: %w", err)
	}
	tasks, err := c.TaskList(ctx, client.TaskListOptions{Filters: filter.Clone().Add("desired-state", "running")})
	if err != nil {
		return false, fmt.Errorf("floor: poll the tasks: %w", err)
	}
	running := map[string]uint64{}
	for _, t := range tasks.Items {
		if t.Status.State == swarm.TaskStateRunning && t.Spec.ContainerSpec != nil && t.Spec.ContainerSpec.Image == image {
			running[t.ServiceID]++
		}
	}
	for _, s := range svcs.Items {
		u := s.UpdateStatus
		if u == nil || u.State != swarm.UpdateStateCompleted || u.StartedAt == nil || u.StartedAt.Before(since.Add(-time.Second)) {
			return false, nil
		}
		if s.Spec.Mode.Replicated == nil || s.Spec.Mode.Replicated.Replicas == nil || running[s.ID] < *s.Spec.Mode.Replicated.Replicas {
			return false, nil
		}
	}
	return true, nil
}

// completedAt is when Swarm completed the last update of the services of stack, on the daemon's
// clock (this machine's: the daemon is local).
func completedAt(ctx context.Context, c *client.Client, stack string) (time.Time, error) {
	filter := make(client.Filters).Add("label", convert.LabelNamespace+"="+stack)
	list, err := c.ServiceList(ctx, client.ServiceListOptions{Filters: filter})
	if err != nil {
		return time.Time{}, fmt.Errorf("list the services of %s: %w", stack, err)
	}
	var last time.Time
	for _, s := range list.Items {
		if s.UpdateStatus == nil || s.UpdateStatus.CompletedAt == nil {
			return time.Time{}, fmt.Errorf("service %s has no completed update", s.Spec.Name)
		}
		if s.UpdateStatus.CompletedAt.After(last) {
			last = *s.UpdateStatus.CompletedAt
		}
	}
	return last, nil
}
