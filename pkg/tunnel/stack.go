package tunnel

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/docker/cli/cli/compose/convert"
	"github.com/moby/moby/client"

	"github.com/twittix/infra/pkg/swarm/stackfile"
)

// PublishedPort is a TCP port a service of a stack publishes on the swarm's hosts.
type PublishedPort struct {
	// Service is the service's name without the stack prefix ("web", not "twittix_web").
	Service string
	// Port is the published port, on the host.
	Port int
}

// ServiceLister is the part of moby's client StackPorts uses.
type ServiceLister interface {
	ServiceList(ctx context.Context, options client.ServiceListOptions) (client.ServiceListResult, error)
}

// StackPorts returns the published TCP ports of the stack's services, as the swarm knows them
// (services carry the com.docker.stack.namespace label of `docker stack deploy`), sorted by
// service and port. A stack with no service is an error that says so.
func StackPorts(ctx context.Context, c ServiceLister, stack string) ([]PublishedPort, error) {
	res, err := c.ServiceList(ctx, client.ServiceListOptions{
		Filters: make(client.Filters).Add("label", convert.LabelNamespace+"="+stack),
	})
	if err != nil {
		return nil, fmt.Errorf("failed to list the services of stack %s: %w", stack, err)
	}
	if len(res.Items) == 0 {
		return nil, fmt.Errorf("the swarm has no service in stack %s: check the stack's name (docker stack ls)", stack)
	}
	var ports []PublishedPort
	for _, s := range res.Items {
		if s.Spec.EndpointSpec == nil {
			continue
		}
		name := strings.TrimPrefix(s.Spec.Name, stack+"_")
		for _, p := range s.Spec.EndpointSpec.Ports {
			if p.PublishedPort != 0 && (p.Protocol == "" || p.Protocol == "tcp") {
				ports = append(ports, PublishedPort{Service: name, Port: int(p.PublishedPort)})
			}
		}
	}
	return sortPorts(ports), nil
}

// ComposePorts returns the published TCP ports of the services of the compose files, loaded and
// interpolated as the deploy does (stackfile.Load), sorted by service and port.
func ComposePorts(opts stackfile.LoadOptions) ([]PublishedPort, error) {
	p, err := stackfile.Load(opts)
	if err != nil {
		return nil, err
	}
	var ports []PublishedPort
	for _, s := range p.Config.Services {
		for _, port := range s.Ports {
			if port.Published != 0 && (port.Protocol == "" || port.Protocol == "tcp") {
				ports = append(ports, PublishedPort{Service: s.Name, Port: int(port.Published)})
			}
		}
	}
	return sortPorts(ports), nil
}

func sortPorts(ports []PublishedPort) []PublishedPort {
	slices.SortFunc(ports, func(a, b PublishedPort) int {
		return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.Port, b.Port))
	})
	return slices.Compact(ports)
}

// StackForwards are the forwards of published ports: each to the port on the server's loopback,
// from the same local port when it is free, else the next free one.
func StackForwards(ports []PublishedPort) []Forward {
	out := make([]Forward, 0, len(ports))
	for _, p := range ports {
		out = append(out, Forward{Name: p.Service, Port: p.Port, Host: "127.0.0.1", RemotePort: p.Port, Flexible: true})
	}
	return out
}
