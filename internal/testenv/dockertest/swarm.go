package dockertest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// DefaultHost is the daemon the tests use unless DOCKER_HOST says otherwise.
const DefaultHost = "unix:///var/run/docker.sock"

// HowToStart tells a developer how to get the daemon the tests need.
const HowToStart = "start a local daemon in swarm mode: `dockerd &` then `docker swarm init --advertise-addr 127.0.0.1`"

// Host returns the Engine API address the tests use: DOCKER_HOST, or DefaultHost.
func Host() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	return DefaultHost
}

// Connect returns a client of the daemon at Host that has negotiated the API version, after
// checking that the daemon is a swarm manager.
func Connect(ctx context.Context) (*client.Client, error) {
	c, err := client.New(client.WithHost(Host()))
	if err != nil {
		return nil, fmt.Errorf("failed to create a Docker client for %s: %w", Host(), err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	info, err := c.Info(ctx, client.InfoOptions{})
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("no Docker daemon answers at %s (%w): %s", Host(), err, HowToStart)
	}
	if !info.Info.Swarm.ControlAvailable {
		_ = c.Close()
		return nil, fmt.Errorf("the Docker daemon at %s is not a swarm manager (swarm state %q): %s",
			Host(), info.Info.Swarm.LocalNodeState, HowToStart)
	}
	return c, nil
}

// RequireSwarm returns a client of the local swarm manager, closed when the test ends. The test
// fails, saying how to start the daemon, when there is none: these tests are never skipped.
func RequireSwarm(t testing.TB) *client.Client {
	t.Helper()
	c, err := Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
