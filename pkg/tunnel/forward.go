package tunnel

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// DefaultBind is the local address listeners bind to when a forward names none, as OpenSSH does
// with GatewayPorts no.
const DefaultBind = "127.0.0.1"

// Forward is one local port forwarded to an address the SSH server reaches.
type Forward struct {
	// Bind is the local address to listen on; empty means DefaultBind.
	Bind string
	// Port is the local port; 0 picks a free one.
	Port int
	// Host and RemotePort are where the server connects, as it resolves Host.
	Host       string
	RemotePort int
	// Flexible lets Open take the next free port when Port is taken.
	Flexible bool
	// Name labels the forward in tables and logs (a service name); empty means none.
	Name string
}

// Remote returns host:port, as the server dials it.
func (f Forward) Remote() string { return net.JoinHostPort(f.Host, strconv.Itoa(f.RemotePort)) }

// String spells the forward as -L takes it.
func (f Forward) String() string {
	bind := f.Bind
	if bind == "" {
		bind = DefaultBind
	}
	return fmt.Sprintf("%s:%d:%s", bracket(bind), f.Port, f.Remote())
}

// ParseForward parses a forward as OpenSSH's -L spells it: [bind_address:]port:host:hostport,
// IPv6 addresses in square brackets. Unix socket forwards are not supported.
func ParseForward(spec string) (Forward, error) {
	fields, err := splitForward(spec)
	if err != nil {
		return Forward{}, err
	}
	var f Forward
	switch len(fields) {
	case 3:
		f.Bind = DefaultBind
	case 4:
		f.Bind, fields = fields[0], fields[1:]
		if f.Bind == "" || f.Bind == "*" {
			f.Bind = "0.0.0.0"
		}
		if f.Bind == "localhost" {
			f.Bind = DefaultBind
		}
	default:
		return Forward{}, fmt.Errorf("%q is not a forward: use [bind_address:]port:host:hostport, e.g. 8080:localhost:80", spec)
	}
	var errs []string
	if f.Port, err = port(fields[0], true); err != nil {
		errs = append(errs, "local port "+err.Error())
	}
	if f.Host = fields[1]; f.Host == "" {
		errs = append(errs, "the host is empty")
	}
	if f.RemotePort, err = port(fields[2], false); err != nil {
		errs = append(errs, "remote port "+err.Error())
	}
	if len(errs) > 0 {
		return Forward{}, fmt.Errorf("%q is not a forward: %s; use [bind_address:]port:host:hostport, e.g. 8080:localhost:80", spec, strings.Join(errs, ", "))
	}
	return f, nil
}

// splitForward splits on colons outside square brackets and removes the brackets.
func splitForward(spec string) ([]string, error) {
	if strings.HasPrefix(spec, "/") || strings.Count(spec, ":") < 2 && strings.Contains(spec, "/") {
		return nil, fmt.Errorf("%q: unix socket forwards are not supported; forward a TCP port (port:host:hostport)", spec)
	}
	var fields []string
	var cur strings.Builder
	depth := 0
	for _, r := range spec {
		switch {
		case r == '[':
			depth++
		case r == ']':
			depth--
		case r == ':' && depth == 0:
			fields = append(fields, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
		if depth < 0 || depth > 1 {
			return nil, fmt.Errorf("%q has unbalanced square brackets", spec)
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("%q has unbalanced square brackets", spec)
	}
	return append(fields, cur.String()), nil
}

func port(s string, zeroOK bool) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 || (n == 0 && !zeroOK) {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return n, nil
}

func bracket(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}
