package dockertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// LabelNamespace is the label docker puts on every object of a stack.
const LabelNamespace = "com.docker.stack.namespace"

// StackName returns a stack name unique to this run, short enough for Swarm's 63-character
// service names, that starts with prefix (letters and digits only).
func StackName(prefix string) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "t" + strings.ToLower(prefix) + hex.EncodeToString(b[:])
}

// NewStack returns a unique stack name for t and removes the stack when t ends.
func NewStack(t testing.TB, c client.APIClient, prefix string) string {
	t.Helper()
	stack := StackName(prefix)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		if err := RemoveStack(ctx, c, stack); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return stack
}

// RemoveStack removes every service, network, secret and config of stack, plus its deploy lock,
// and waits until its tasks are gone so that its networks can be removed.
func RemoveStack(ctx context.Context, c client.APIClient, stack string) error {
	filter := make(client.Filters).Add("label", LabelNamespace+"="+stack)
	var errs []error
	services, err := c.ServiceList(ctx, client.ServiceListOptions{Filters: filter})
	if err != nil {
		return fmt.Errorf("failed to list the services of stack %s: %w", stack, err)
	}
	for _, s := range services.Items {
		if _, err := c.ServiceRemove(ctx, s.ID, client.ServiceRemoveOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("failed to remove service %s: %w", s.Spec.Name, err))
		}
	}
	if err := waitNoContainers(ctx, c, stack); err != nil {
		errs = append(errs, err)
	}
	if secrets, err := c.SecretList(ctx, client.SecretListOptions{Filters: filter}); err == nil {
		for _, s := range secrets.Items {
			if _, err := c.SecretRemove(ctx, s.ID, client.SecretRemoveOptions{}); err != nil {
				errs = append(errs, fmt.Errorf("failed to remove secret %s: %w", s.Spec.Name, err))
			}
		}
	}
	if configs, err := c.ConfigList(ctx, client.ConfigListOptions{Filters: filter}); err == nil {
		for _, s := range configs.Items {
			if _, err := c.ConfigRemove(ctx, s.ID, client.ConfigRemoveOptions{}); err != nil {
				errs = append(errs, fmt.Errorf("failed to remove config %s: %w", s.Spec.Name, err))
			}
		}
	}
	// The deploy lock is a config named after the stack without the stack label.
	lock := make(client.Filters).Add("name", stack+"_deploy-lock")
	if configs, err := c.ConfigList(ctx, client.ConfigListOptions{Filters: lock}); err == nil {
		for _, s := range configs.Items {
			_, _ = c.ConfigRemove(ctx, s.ID, client.ConfigRemoveOptions{})
		}
	}
	errs = append(errs, removeNetworks(ctx, c, stack, filter))
	return errors.Join(errs...)
}

// waitNoContainers waits until no container of the stack is left on this node. Swarm leaves the
// exited containers of job services behind: those are removed.
func waitNoContainers(ctx context.Context, c client.APIClient, stack string) error {
	filter := make(client.Filters).Add("label", LabelNamespace+"="+stack)
	for {
		res, err := c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
		if err != nil {
			return fmt.Errorf("failed to list the containers of stack %s: %w", stack, err)
		}
		if len(res.Items) == 0 {
			return nil
		}
		for _, ctr := range res.Items {
			if ctr.State != "running" && ctr.State != "restarting" {
				_, _ = c.ContainerRemove(ctx, ctr.ID, client.ContainerRemoveOptions{Force: true})
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("containers of stack %s still exist: %w", stack, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// removeNetworks removes the stack networks, retrying while the last endpoints detach.
func removeNetworks(ctx context.Context, c client.APIClient, stack string, filter client.Filters) error {
	for {
		res, err := c.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
		if err != nil {
			return fmt.Errorf("failed to list the networks of stack %s: %w", stack, err)
		}
		var last error
		for _, n := range res.Items {
			if _, err := c.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil {
				last = fmt.Errorf("failed to remove network %s: %w", n.Name, err)
			}
		}
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return last
		case <-time.After(500 * time.Millisecond):
		}
	}
}
