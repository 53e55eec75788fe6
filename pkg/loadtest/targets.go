package loadtest

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// ParseTargets parses targets in one of vegeta's formats: its HTTP format (a "METHOD URL" line,
// then "Name: value" header lines, then an optional "@file" body line, targets separated by blank
// lines; # starts a comment) or, when the first non-blank character is '{', its JSON format (one
// {"method","url","header","body"} object per line, body in base64). Every target needs an
// absolute http or https URL. All problems are reported together.
func ParseTargets(text string) ([]vegeta.Target, error) {
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		return nil, errors.New("no targets: give at least one line such as `GET http://web/healthz`")
	}
	var tr vegeta.Targeter
	if strings.HasPrefix(trimmed, "{") {
		tr = vegeta.NewJSONTargeter(strings.NewReader(trimmed+"\n"), nil, nil) // it needs each line ended
	} else {
		tr = vegeta.NewHTTPTargeter(strings.NewReader(trimmed), nil, nil)
	}
	var targets []vegeta.Target
	var errs []error
	for {
		var t vegeta.Target
		err := tr.Decode(&t)
		if errors.Is(err, vegeta.ErrNoTargets) {
			break
		}
		if err != nil {
			// vegeta's decoders cannot resume after a bad target.
			errs = append(errs, fmt.Errorf("target %d: %w", len(targets)+1, err))
			break
		}
		if err := checkURL(t.URL); err != nil {
			errs = append(errs, fmt.Errorf("target %d (%s %s): %w", len(targets)+1, t.Method, t.URL, err))
		}
		targets = append(targets, t)
	}
	if len(targets) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("no targets: give at least one line such as `GET http://web/healthz`"))
	}
	return targets, errors.Join(errs...)
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return errors.New("the URL must be absolute, e.g. http://web/healthz (web being a service)")
	}
	return nil
}

// Services maps a service name, as the host of target URLs, to the addresses it publishes,
// keyed by port as written in a URL ("" when the URL names no port).
type Services map[string]Ports

// Ports maps the ports of one service, as written in a URL, to the addresses dialed for them.
type Ports map[string]string

// ParseServices parses lines or comma-separated items NAME=PORT or NAME=HOST:PORT: the service
// NAME (the host of target URLs) is reached at HOST:PORT, seen from where connections are dialed
// (the manager over SSH, or this machine). HOST defaults to 127.0.0.1. A target URL naming port
// PORT, or no port at all when NAME has one entry, is routed there.
func ParseServices(text string) (Services, error) {
	s := Services{}
	var errs []error
	for _, item := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == '\n' }) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, addr, ok := strings.Cut(item, "=")
		name, addr = strings.TrimSpace(name), strings.TrimSpace(addr)
		if !ok || name == "" || addr == "" {
			errs = append(errs, fmt.Errorf("%q is not NAME=PORT or NAME=HOST:PORT, e.g. web=8080", item))
			continue
		}
		host, port := "127.0.0.1", addr
		if h, p, err := net.SplitHostPort(addr); err == nil {
			host, port = h, p
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			errs = append(errs, fmt.Errorf("%q: the port %q must be a number between 1 and 65535", item, port))
			continue
		}
		if s[name] == nil {
			s[name] = Ports{}
		}
		s[name][port] = net.JoinHostPort(host, port)
	}
	return s, errors.Join(errs...)
}

// Routes returns, for each host:port the targets dial, the address to dial instead. With no
// services, every target is dialed at its own URL's address. Otherwise every target's host must
// be a service, and its port (if the URL has one) one of that service's ports.
func Routes(targets []vegeta.Target, services Services) (map[string]string, error) {
	routes := map[string]string{}
	if len(services) == 0 {
		return routes, nil
	}
	var errs []error
	for i, t := range targets {
		u, err := url.Parse(t.URL)
		if err != nil {
			continue // reported by ParseTargets
		}
		name, port := u.Hostname(), u.Port()
		ports, ok := services[name]
		if !ok {
			errs = append(errs, fmt.Errorf("target %d (%s): unknown service %q; known: %s", i+1, t.URL, name, strings.Join(services.names(), ", ")))
			continue
		}
		addr, err := ports.pick(port)
		if err != nil {
			errs = append(errs, fmt.Errorf("target %d (%s): service %s: %w", i+1, t.URL, name, err))
			continue
		}
		routes[net.JoinHostPort(name, dialPort(u))] = addr
	}
	return routes, errors.Join(errs...)
}

func (s Services) names() []string {
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// pick returns the address of port, or of the only port when port is "".
func (p Ports) pick(port string) (string, error) {
	if port == "" {
		if len(p) == 1 {
			for _, addr := range p {
				return addr, nil
			}
		}
		return "", fmt.Errorf("it has several ports (%s): name one in the URL", strings.Join(p.list(), ", "))
	}
	addr, ok := p[port]
	if !ok {
		return "", fmt.Errorf("unknown port %s; its ports: %s", port, strings.Join(p.list(), ", "))
	}
	return addr, nil
}

func (p Ports) list() []string {
	out := make([]string, 0, len(p))
	for port := range p {
		out = append(out, port)
	}
	sort.Strings(out)
	return out
}

// dialPort is the port an HTTP client dials for u.
func dialPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}
