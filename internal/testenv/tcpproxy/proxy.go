// Package tcpproxy is a TCP proxy on 127.0.0.1 for tests that need the network between a client
// and a server to fail: Cut closes every connection going through it (a reset link), Stall keeps
// them open but carrying nothing (a dead link that nobody reports: a black-holed network or a hung
// host, whose buffers fill up until the sender's writes block).
// Connections made after a Cut or a Stall are forwarded normally.
package tcpproxy

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards the connections it accepts to a target address.
type Proxy struct {
	ln     net.Listener
	target string

	accepted atomic.Int64

	mu     sync.Mutex
	closed bool
	links  map[*link]struct{}
	wg     sync.WaitGroup
}

type link struct {
	client, server net.Conn
	stalled        atomic.Bool
	done           chan struct{} // closed by close
	closeOnce      sync.Once
}

// close closes both connections and wakes up the stalled pipes.
func (l *link) close() {
	l.closeOnce.Do(func() {
		l.client.Close()
		l.server.Close()
		close(l.done)
	})
}

// Start starts a proxy to target on a random port of 127.0.0.1 and stops it when the test ends.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("tcpproxy: listen: %v", err)
	}
	p := &Proxy{ln: ln, target: target, links: map[*link]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Addr returns the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Host returns the proxy's host (127.0.0.1).
func (p *Proxy) Host() string { return p.ln.Addr().(*net.TCPAddr).IP.String() }

// Port returns the proxy's port.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Accepted returns how many connections the proxy accepted so far.
func (p *Proxy) Accepted() int { return int(p.accepted.Load()) }

// Active returns how many connections are currently open through the proxy.
func (p *Proxy) Active() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// Cut closes every connection currently open through the proxy, on both sides, and returns how
// many it closed. They are forgotten at once, not when their copy loops notice, so that Active,
// Stall and a second Cut right after count only the connections opened since.
func (p *Proxy) Cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.links)
	for l := range p.links {
		l.close()
		delete(p.links, l)
	}
	return n
}

// Stall makes every connection currently open through the proxy carry nothing more, in either
// direction, while staying open, and returns how many it stalled. Bytes in flight are dropped and
// the proxy stops reading, so that, as on a black-holed network, the kernel buffers fill up and
// the sender's writes eventually block. Only Cut or Close end a stalled connection.
func (p *Proxy) Stall() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for l := range p.links {
		l.stalled.Store(true)
	}
	return len(p.links)
}

// Close stops accepting, closes every connection and waits for the proxy's goroutines to end.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.ln.Close()
	p.Cut()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		p.accepted.Add(1)
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		l := &link{client: c, server: s, done: make(chan struct{})}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			s.Close()
			return
		}
		p.links[l] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(l, c, s)
		go p.pipe(l, s, c)
	}
}

// pipe copies src to dst until either fails, then closes both and forgets the link.
func (p *Proxy) pipe(l *link, dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32*1024)
	for {
		if l.stalled.Load() {
			// Read no more: the sender's buffers fill up and its writes block, as on a
			// black-holed network, until the link is cut.
			<-l.done
			break
		}
		n, err := src.Read(buf)
		if n > 0 && !l.stalled.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	l.close()
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}
