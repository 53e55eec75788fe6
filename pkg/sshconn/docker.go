package sshconn

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
)

// DockerClient returns a moby Engine API client whose every request goes through c (one SSH
// connection), after a ping that negotiates the API version with the daemon (the client
// downgrades to the daemon's version, e.g. 1.41 for Docker 20.10). opts are applied after the
// transport options; do not pass another host or dialer. Close the returned client before c.
func (c *Client) DockerClient(ctx context.Context, opts ...client.Opt) (*client.Client, error) {
	all := append([]client.Opt{
		client.WithHost("unix://" + c.plan.cfg.DockerSocket),
		client.WithDialContext(c.DialContext),
	}, opts...)
	cli, err := client.New(all...)
	if err != nil {
		return nil, fmt.Errorf("failed to create the Docker client: %w", err)
	}
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		cli.Close()
		return nil, fmt.Errorf("failed to reach the Docker Engine API at %s on %s: %w", c.plan.cfg.DockerSocket, c.plan.target.addr, err)
	}
	return cli, nil
}
