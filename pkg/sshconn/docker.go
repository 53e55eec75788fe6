package sshconn

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

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
		// moby replaces dial errors with a generic "Cannot connect to the Docker daemon": a raw
		// ping on a connection of our own says what actually went wrong.
		if perr := c.probe(ctx); perr != nil {
			err = perr
		}
		msg := fmt.Sprintf("failed to reach the Docker Engine API at %s on %s: %v", c.plan.cfg.DockerSocket, c.plan.target.addr, err)
		if field := string(c.plan.cfg.name(FieldDockerSocket)); !strings.Contains(msg, field) {
			msg += fmt.Sprintf(": check %s and that dockerd runs there", field)
		}
		return nil, &dockerError{msg: msg, err: err}
	}
	return cli, nil
}

type dockerError struct {
	msg string
	err error
}

func (e *dockerError) Error() string { return e.msg }
func (e *dockerError) Unwrap() error { return e.err }

// probe sends a raw HTTP ping through DialContext and returns why it got no HTTP answer.
func (c *Client) probe(ctx context.Context) error {
	conn, err := c.DialContext(ctx, "unix", c.plan.cfg.DockerSocket)
	if err != nil {
		return err
	}
	return httpPing(ctx, conn)
}

// httpPing sends a raw HTTP ping on conn, closes it, and returns why it got no HTTP answer (any HTTP
// status proves a daemon answers).
func httpPing(ctx context.Context, conn net.Conn) error {
	defer conn.Close()
	defer context.AfterFunc(ctx, func() { conn.Close() })()
	if _, err := io.WriteString(conn, "GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("the socket closed without answering")
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("no answer: %w", ctx.Err())
	case err != nil:
		return err
	case !strings.HasPrefix(line, "HTTP/1."):
		return errors.New("the socket does not speak HTTP: it is not a Docker socket")
	}
	return nil
}
