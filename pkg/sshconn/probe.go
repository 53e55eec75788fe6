package sshconn

import (
	"sync"

	"golang.org/x/crypto/ssh"
)

// prober tells whether an SSH connection is alive now, with a request the server must answer.
// Callers that ask at once share one request, sent after they asked (so that its answer proves
// the connection outlived their question): a hundred forwarded connections ending together cost
// one or two round trips, not a hundred in a row (x/crypto/ssh sends one global request at a
// time).
type prober struct {
	mu      sync.Mutex
	next    *probe // the request the next callers wait for; not sent yet
	running bool
}

type probe struct {
	done chan struct{}
	err  error
}

// alive sends (or joins) a request on client and reports whether it was answered.
func (p *prober) alive(client *ssh.Client) bool {
	p.mu.Lock()
	if p.next == nil {
		p.next = &probe{done: make(chan struct{})}
	}
	pr := p.next
	if !p.running {
		p.running = true
		go p.run(client)
	}
	p.mu.Unlock()
	<-pr.done
	return pr.err == nil
}

// run sends the waiting requests one after the other until none waits.
func (p *prober) run(client *ssh.Client) {
	for {
		p.mu.Lock()
		pr := p.next
		p.next = nil
		if pr == nil {
			p.running = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		// OpenSSH answers this unknown request with a failure: any answer proves the link.
		_, _, pr.err = client.SendRequest("keepalive@openssh.com", true, nil)
		close(pr.done)
	}
}
