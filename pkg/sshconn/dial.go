package sshconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/twittix/infra/pkg/logging"
)

// clientVersion is the SSH identification string sent to servers (it shows in their logs).
const clientVersion = "SSH-2.0-twittix-infra"

// plan is a validated Config, ready to connect.
type plan struct {
	cfg    Config
	target *endpointPlan
	jump   *endpointPlan
}

// endpointPlan is a validated Endpoint.
type endpointPlan struct {
	names       names
	ownKeys     bool // signer and more were parsed from Key and MoreKeys, not given as Signers
	host        string
	user        string
	addr        string // host:port
	signer      ssh.Signer
	more        []ssh.Signer // offered after signer, in order
	agentSocket string
	verifier    *verifier
}

// describe names the connection in logs and errors: "deploy@host:22 via admin@bastion:22".
func (p *plan) describe() string {
	s := p.target.user + "@" + p.target.addr
	if p.jump != nil {
		s += " via " + p.jump.user + "@" + p.jump.addr
	}
	return s
}

// ConnectError is returned when no SSH connection could be established. Attempts counts the
// attempts made: 1 when the error is not retried (authentication, host key, configuration).
type ConnectError struct {
	Target   string
	Attempts int
	Err      error
	hint     string
}

func (e *ConnectError) Error() string {
	after := ""
	if e.Attempts > 1 {
		after = fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	msg := fmt.Sprintf("failed to connect to %s%s: %v", e.Target, after, e.Err)
	if e.hint != "" {
		msg += ": " + e.hint
	}
	return msg
}

func (e *ConnectError) Unwrap() error { return e.Err }

// timeoutError is an attempt that did not complete within connect_timeout.
type timeoutError struct {
	stage   string
	timeout time.Duration
	field   fieldName // connect_timeout's name
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("%s did not complete within %s (%s)", e.stage, e.timeout, e.field)
}
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }

// connect establishes an SSH connection, retrying network errors with backoff.
func connect(ctx context.Context, p *plan, log logging.Logger, st *counters) (*sshConn, error) {
	attempts := 1 + p.cfg.ConnectRetries
	wait := p.cfg.RetryBackoff
	for attempt := 1; ; attempt++ {
		st.attempts.Add(1)
		c, err := connectOnce(ctx, p, log)
		if err == nil {
			st.connections.Add(1)
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, &ConnectError{Target: p.describe(), Attempts: attempt, Err: fmt.Errorf("%w (last error: %v)", ctx.Err(), err)}
		}
		if !retryable(err) || attempt >= attempts {
			return nil, &ConnectError{Target: p.describe(), Attempts: attempt, Err: err, hint: hint(p, err)}
		}
		d := wait + time.Duration(rand.Int64N(int64(wait)/5+1))
		log.Warnf("ssh: connecting to %s failed (attempt %d of %d): %v; retrying in %s", p.describe(), attempt, attempts, err, d.Round(time.Millisecond))
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, &ConnectError{Target: p.describe(), Attempts: attempt, Err: fmt.Errorf("%w (last error: %v)", ctx.Err(), err)}
		}
		wait = min(2*wait, maxRetryBackoff)
	}
}

// connectOnce makes one attempt, bounded by connect_timeout: TCP, then SSH to the jump host if
// any, then SSH to the target.
func connectOnce(ctx context.Context, p *plan, log logging.Logger) (*sshConn, error) {
	timeout := p.cfg.ConnectTimeout
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	timedOut := func(stage string, err error) error {
		if ctx.Err() == nil && actx.Err() != nil {
			return &timeoutError{stage: stage, timeout: timeout, field: p.target.names.connectTimeout}
		}
		return err
	}

	first := p.target
	if p.jump != nil {
		first = p.jump
	}
	var d net.Dialer
	nc, err := d.DialContext(actx, "tcp", first.addr)
	if err != nil {
		return nil, timedOut("TCP connection to "+first.addr, err)
	}
	client, err := handshake(actx, nc, first, log)
	if err != nil {
		return nil, timedOut("SSH handshake with "+first.addr, err)
	}
	if p.jump == nil {
		return newSSHConn(client, nil, nc), nil
	}
	jump := client
	tc, err := jump.DialContext(actx, "tcp", p.target.addr)
	if err != nil {
		jump.Close()
		return nil, timedOut("connection from the jump host to "+p.target.addr, jumpDialError(p, err))
	}
	client, err = handshake(actx, tc, p.target, log)
	if err != nil {
		jump.Close()
		return nil, timedOut("SSH handshake with "+p.target.addr+" through the jump host", err)
	}
	return newSSHConn(client, jump, nc), nil
}

// handshake runs the SSH handshake and authentication on nc, closing nc when ctx ends first.
func handshake(ctx context.Context, nc net.Conn, ep *endpointPlan, log logging.Logger) (*ssh.Client, error) {
	auth, closeAgent, err := authMethods(ep)
	if err != nil {
		nc.Close()
		return nil, err
	}
	defer closeAgent()
	config := &ssh.ClientConfig{
		User:              ep.user,
		Auth:              auth,
		HostKeyCallback:   ep.verifier.callback(log),
		HostKeyAlgorithms: ep.verifier.algorithms(ep.addr),
		ClientVersion:     clientVersion,
	}
	type result struct {
		conn  ssh.Conn
		chans <-chan ssh.NewChannel
		reqs  <-chan *ssh.Request
		err   error
	}
	done := make(chan result, 1)
	go func() {
		c, chans, reqs, err := ssh.NewClientConn(nc, ep.addr, config)
		done <- result{c, chans, reqs, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		nc.Close()
		r = <-done
		if r.err == nil {
			r.conn.Close()
			r.err = ctx.Err()
		}
	}
	if r.err != nil {
		nc.Close()
		return nil, authError(ep, r.err)
	}
	return ssh.NewClient(r.conn, r.chans, r.reqs), nil
}

// authMethods offers the keys first, in order, then the agent's keys.
func authMethods(ep *endpointPlan) ([]ssh.AuthMethod, func(), error) {
	var methods []ssh.AuthMethod
	if ep.signer != nil {
		methods = append(methods, ssh.PublicKeys(append([]ssh.Signer{ep.signer}, ep.more...)...))
	}
	if ep.agentSocket == "" {
		return methods, func() {}, nil
	}
	ac, err := net.Dial("unix", ep.agentSocket)
	if err != nil {
		return nil, nil, &FieldError{Field: string(ep.names.agent), Problem: fmt.Sprintf("could not be reached: %v: start an SSH agent (ssh-agent) and add the key (ssh-add)", errors.Unwrap(err))}
	}
	methods = append(methods, ssh.PublicKeysCallback(agent.NewClient(ac).Signers))
	return methods, func() { ac.Close() }, nil
}

// authError explains an authentication failure; other handshake errors are returned as they are.
func authError(ep *endpointPlan, err error) error {
	if !strings.Contains(err.Error(), "unable to authenticate") {
		return err
	}
	offered := "the keys of the agent at " + string(ep.names.agent)
	if ep.signer != nil {
		var keys []string
		for _, s := range append([]ssh.Signer{ep.signer}, ep.more...) {
			keys = append(keys, s.PublicKey().Type()+" "+ssh.FingerprintSHA256(s.PublicKey()))
		}
		offered = fmt.Sprintf("%s (%s)", ep.names.key, strings.Join(keys, ", "))
		if ep.agentSocket != "" {
			offered += " and the keys of the agent"
		}
	}
	return fmt.Errorf("%s refused %s for user %s: add the public key to ~%s/.ssh/authorized_keys on the server, or check %s: %w",
		ep.addr, offered, ep.user, ep.user, ep.names.user, err)
}

func jumpDialError(p *plan, err error) error {
	var oc *ssh.OpenChannelError
	if errors.As(err, &oc) && oc.Reason == ssh.Prohibited {
		return fmt.Errorf("the jump host %s refused to forward to %s (%v): allow TCP forwarding for %s on it (AllowTcpForwarding yes in sshd_config)",
			p.jump.addr, p.target.addr, err, p.jump.user)
	}
	return fmt.Errorf("the jump host %s could not reach %s: %w", p.jump.addr, p.target.addr, err)
}

// retryable reports whether err is a network error worth another attempt. Authentication, host
// key, algorithm negotiation and configuration errors are not.
func retryable(err error) bool {
	var hk *HostKeyError
	var fe *FieldError
	if errors.As(err, &hk) || errors.As(err, &fe) || strings.Contains(err.Error(), "unable to authenticate") {
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.IsTimeout || dns.IsTemporary
	}
	var oc *ssh.OpenChannelError
	if errors.As(err, &oc) {
		return oc.Reason == ssh.ConnectionFailed
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
}

// hint says what to check after a final connect error.
func hint(p *plan, err error) string {
	where := fmt.Sprintf("%s and %s", p.target.names.host, p.target.names.port)
	if p.jump != nil {
		where = fmt.Sprintf("%s and %s (or %s and %s behind the jump host)", p.jump.names.host, p.jump.names.port, p.target.names.host, p.target.names.port)
	}
	var dns *net.DNSError
	var te *timeoutError
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return fmt.Sprintf("check %s: the name does not resolve", where)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("nothing accepts connections there: check %s, and that sshd runs", where)
	case errors.As(err, &te):
		return fmt.Sprintf("check %s and firewalls, or raise %s", where, p.target.names.connectTimeout)
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET):
		return "the server closed the connection during the handshake: check that it is an SSH server and that it accepts the runner's address"
	}
	return ""
}
