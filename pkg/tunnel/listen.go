package tunnel

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// maxPortScan bounds how many ports above a taken one Open tries for a Flexible forward.
const maxPortScan = 100

// Binding is a Forward with the local listener Open gave it.
type Binding struct {
	Forward
	// LocalPort is the port actually listened on.
	LocalPort int
	// Moved is true when Port was taken (or needs privileges) and LocalPort is another one.
	Moved bool
	ln    net.Listener
}

// LocalAddr returns the local host:port to connect to.
func (b Binding) LocalAddr() string {
	bind := b.Bind
	if bind == "" || bind == "0.0.0.0" || bind == "::" {
		bind = DefaultBind
	}
	return net.JoinHostPort(bind, strconv.Itoa(b.LocalPort))
}

// listen binds f's local port, or for a Flexible forward the next free port when it is taken.
// A port below 1024 that needs privileges is moved above 1024 (80 becomes 8080, then the next
// free one).
func listen(f Forward) (Binding, error) {
	bind := f.Bind
	if bind == "" {
		bind = DefaultBind
	}
	p := f.Port
	var firstErr error
	for try := 0; try <= maxPortScan; try++ {
		ln, err := net.Listen("tcp", net.JoinHostPort(bind, strconv.Itoa(p)))
		if err == nil {
			got := ln.Addr().(*net.TCPAddr).Port
			return Binding{Forward: f, LocalPort: got, Moved: f.Port != 0 && got != f.Port, ln: ln}, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if !f.Flexible || f.Port == 0 {
			break
		}
		switch {
		case errors.Is(err, syscall.EACCES) && p < 1024:
			p += 8000
		case errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, syscall.EACCES):
			p++
		default:
			return Binding{}, fmt.Errorf("failed to listen for %s: %w", f, err)
		}
		if p > 65535 {
			break
		}
	}
	if errors.Is(firstErr, syscall.EADDRINUSE) {
		if f.Flexible {
			return Binding{}, fmt.Errorf("failed to listen for %s: port %d and the %d above it are taken: %w", f, f.Port, maxPortScan, firstErr)
		}
		return Binding{}, fmt.Errorf("failed to listen for %s: local port %d is taken (%w): choose another local port, e.g. %d:%s", f, f.Port, firstErr, f.Port+1, f.Remote())
	}
	return Binding{}, fmt.Errorf("failed to listen for %s: %w", f, firstErr)
}
