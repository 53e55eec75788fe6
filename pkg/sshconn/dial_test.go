package sshconn

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/twittix/infra/internal/testenv/sshd"
	"github.com/twittix/infra/internal/testenv/tcpproxy"
)

func TestDialKeyTypesAndFormats(t *testing.T) {
	t.Parallel()
	keys := map[sshd.KeyType]sshd.Key{}
	var authorized []ssh.PublicKey
	for _, typ := range []sshd.KeyType{sshd.Ed25519, sshd.ECDSA, sshd.RSA} {
		keys[typ] = sshd.NewKey(t, typ)
		authorized = append(authorized, keys[typ].Public)
	}
	s := sshd.Start(t, sshd.Options{AuthorizedKeys: authorized})

	for typ, k := range keys {
		for format, pemText := range map[string]string{"openssh": k.OpenSSH(t), "pem": k.PEM(t)} {
			t.Run(string(typ)+"/"+format, func(t *testing.T) {
				t.Parallel()
				log := newLog()
				c, err := Dial(context.Background(), config(s, pemText), log)
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				defer c.Close()
				if got, want := c.Stats(), (Stats{Attempts: 1, Connections: 1, Transport: TransportStreamLocal}); got != want {
					t.Errorf("Stats() = %+v, want %+v", got, want)
				}
				for _, want := range []string{"verified by known_hosts: ssh-ed25519 " + s.Fingerprint(), "connected to root@" + s.Addr()} {
					if !strings.Contains(log.String(), want) {
						t.Errorf("log lacks %q:\n%s", want, log)
					}
				}
				// The server logged a login with the very key this case offered.
				fp := ssh.FingerprintSHA256(k.Public)
				accepted := func() bool {
					for _, line := range strings.Split(s.Logs(), "\n") {
						if strings.HasPrefix(line, "Accepted publickey for root") && strings.Contains(line, " "+fp) {
							return true
						}
					}
					return false
				}
				if !waitFor(10*time.Second, accepted) { // sshd's log reaches us through a pipe
					t.Errorf("sshd did not log a login with %s", fp)
				}
				assertNoSecrets(t, []string{pemText}, log.String())
			})
		}
	}
}

func TestDialPassphraseProtectedKey(t *testing.T) {
	t.Parallel()
	const pass = "s3cret passphrase"
	k := sshd.NewKey(t, sshd.Ed25519)
	encrypted := k.OpenSSHWithPassphrase(t, pass)
	s := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{k.Public}})

	tests := []struct {
		name, passphrase string
		wantField        string // empty: connects
	}{
		{"right passphrase", pass, ""},
		{"wrong passphrase", "not it", FieldPassphrase},
		{"missing passphrase", "", FieldKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := config(s, encrypted)
			cfg.Passphrase = tc.passphrase
			log := newLog()
			c, err := Dial(context.Background(), cfg, log)
			if err == nil {
				defer c.Close()
			}
			checkFieldError(t, err, tc.wantField, "")
			text := log.String()
			if err != nil {
				text += err.Error()
			}
			assertNoSecrets(t, []string{encrypted, pass}, text)
		})
	}
}

func TestDialAgent(t *testing.T) {
	t.Parallel()
	k := sshd.NewKey(t, sshd.ECDSA)
	s := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{k.Public}})

	cfg := config(s, "")
	cfg.AgentSocket = sshd.StartAgent(t, k)
	c, err := Dial(context.Background(), cfg, newLog())
	if err != nil {
		t.Fatalf("Dial with the agent: %v", err)
	}
	c.Close()

	// An agent without the authorized key is an authentication error: no retry.
	cfg.AgentSocket = sshd.StartAgent(t, sshd.NewKey(t, sshd.Ed25519))
	_, err = Dial(context.Background(), cfg, newLog())
	var ce *ConnectError
	if !errors.As(err, &ce) || ce.Attempts != 1 || !strings.Contains(err.Error(), "refused the keys of the agent at agent_socket for user root") {
		t.Errorf("Dial with a foreign agent: %v, want an authentication error after 1 attempt", err)
	}

	// An agent socket that does not exist says so.
	cfg.AgentSocket = "/nonexistent/agent.sock"
	_, err = Dial(context.Background(), cfg, newLog())
	checkFieldError(t, err, FieldAgentSocket, "agent_socket could not be reached")
}

// keyscan runs the real ssh-keyscan against host:port.
func keyscan(t *testing.T, host string, port int, args ...string) string {
	t.Helper()
	args = append(args, "-t", "ed25519", "-p", strconv.Itoa(port), host)
	out, err := exec.Command("ssh-keyscan", args...).Output()
	if err != nil || len(out) == 0 {
		t.Fatalf("ssh-keyscan (install it with `apt-get install -y openssh-client`): %q, %v", out, err)
	}
	return string(out)
}

func TestDialVerifiesHostKeys(t *testing.T) {
	t.Parallel()
	k := sshd.NewKey(t, sshd.Ed25519)
	s := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{k.Public}})
	impostor := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{k.Public}})
	pemText := k.OpenSSH(t)
	// The impostor answers on s's address as far as known_hosts goes: it is what a
	// man-in-the-middle looks like.
	impostorAsS := strings.Replace(impostor.KnownHostsLine(), strconv.Itoa(impostor.Port), strconv.Itoa(s.Port), 1)

	// Each case reaches s through its own proxy: known_hosts lines name the proxy's port.
	onPort := func(line string, port int) string {
		return strings.ReplaceAll(line, "]:"+strconv.Itoa(s.Port)+" ", "]:"+strconv.Itoa(port)+" ")
	}
	tests := []struct {
		name  string
		known func(port int) string
		pins  string
		want  string // "" connects; else "unknown" or "mismatch"
	}{
		{"ssh-keyscan output", func(port int) string { return keyscan(t, s.Host, port) }, "", ""},
		{"ssh-keyscan -H output", func(port int) string { return keyscan(t, s.Host, port, "-H") }, "", ""},
		{"fingerprint pin", nil, s.Fingerprint(), ""},
		{"nothing pinned", nil, "", "unknown"},
		{"known_hosts of another host", func(port int) string {
			return strings.Replace(onPort(s.KnownHostsLine(), port), "127.0.0.1", "10.9.9.9", 1)
		}, "", "unknown"},
		{"known_hosts mismatch", func(port int) string { return onPort(impostorAsS, port) }, "", "mismatch"},
		{"fingerprint mismatch", nil, impostor.Fingerprint(), "mismatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			proxy := tcpproxy.Start(t, s.Addr())
			cfg := config(s, pemText)
			cfg.Port = proxy.Port()
			cfg.KnownHosts = ""
			if tc.known != nil {
				cfg.KnownHosts = tc.known(proxy.Port())
			}
			cfg.HostFingerprint = tc.pins
			cfg.ConnectRetries = 3
			log := newLog()
			c, err := Dial(context.Background(), cfg, log)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				c.Close()
				return
			}
			var hk *HostKeyError
			if !errors.As(err, &hk) {
				t.Fatalf("Dial: %v, want a *HostKeyError", err)
			}
			if got := map[bool]string{false: "unknown", true: "mismatch"}[hk.Mismatch()]; got != tc.want {
				t.Errorf("refused as %s, want %s", got, tc.want)
			}
			host := "[127.0.0.1]:" + strconv.Itoa(proxy.Port())
			for _, want := range []string{host + " presented the ssh-ed25519 host key " + s.Fingerprint(), "`host_fingerprint: " + s.Fingerprint() + "`"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message lacks %q:\n%v", want, err)
				}
			}
			// A host key error is never retried: one TCP connection reached the server.
			if got := proxy.Accepted(); got != 1 {
				t.Errorf("the server saw %d connections, want 1 (no retry)", got)
			}
			if strings.Contains(log.String(), "retrying") {
				t.Errorf("a host key error was retried:\n%s", log)
			}
			assertNoSecrets(t, []string{pemText}, err.Error(), log.String())
		})
	}
}

func TestDialInsecureIgnoreHostKeyWarns(t *testing.T) {
	t.Parallel()
	k := sshd.NewKey(t, sshd.Ed25519)
	s := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{k.Public}})
	cfg := config(s, k.OpenSSH(t))
	cfg.KnownHosts = ""
	cfg.InsecureIgnoreHostKey = true
	log := newLog()
	c, err := Dial(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	for _, want := range []string{
		"warning: ssh: insecure_ignore_host_key is set: host keys are NOT verified",
		"warning: ssh: NOT verifying the host key of [127.0.0.1]:" + strconv.Itoa(s.Port) + " (insecure_ignore_host_key is set): accepted ssh-ed25519 " + s.Fingerprint(),
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestDialWrongKeyFailsFast(t *testing.T) {
	t.Parallel()
	authorized := sshd.NewKey(t, sshd.Ed25519)
	wrong := sshd.NewKey(t, sshd.Ed25519)
	s := sshd.Start(t, sshd.Options{AuthorizedKeys: []ssh.PublicKey{authorized.Public}})
	proxy := tcpproxy.Start(t, s.Addr())
	pemText := wrong.OpenSSH(t)
	cfg := config(s, pemText)
	cfg.Port = proxy.Port()
	cfg.KnownHosts = ""
	cfg.HostFingerprint = s.Fingerprint()
	cfg.ConnectRetries = 5
	log := newLog()

	_, err := Dial(context.Background(), cfg, log)
	var ce *ConnectError
	if !errors.As(err, &ce) || ce.Attempts != 1 {
		t.Fatalf("Dial: %v, want a *ConnectError after 1 attempt", err)
	}
	want := "refused key (ssh-ed25519 " + ssh.FingerprintSHA256(wrong.Public) + ") for user root: add the public key to ~root/.ssh/authorized_keys on the server"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("message lacks %q:\n%v", want, err)
	}
	if got := proxy.Accepted(); got != 1 {
		t.Errorf("the server saw %d connections, want 1 (no retry)", got)
	}
	assertNoSecrets(t, []string{pemText}, err.Error(), log.String())
}

func TestDialConnectionRefusedIsRetried(t *testing.T) {
	t.Parallel()
	k := sshd.NewKey(t, sshd.Ed25519)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there any more: connection refused

	cfg := Config{
		Endpoint:       Endpoint{Host: "127.0.0.1", Port: port, User: "root", Key: k.OpenSSH(t), HostFingerprint: ssh.FingerprintSHA256(k.Public)},
		ConnectRetries: 2,
		RetryBackoff:   20 * time.Millisecond,
	}
	log := newLog()
	_, err = Dial(context.Background(), cfg, log)
	var ce *ConnectError
	if !errors.As(err, &ce) || ce.Attempts != 3 {
		t.Fatalf("Dial: %v, want a *ConnectError after 3 attempts", err)
	}
	for _, want := range []string{"after 3 attempts", "connection refused", "nothing accepts connections there: check host and port, and that sshd runs"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%v", want, err)
		}
	}
	if got := strings.Count(log.String(), "retrying in"); got != 2 {
		t.Errorf("log shows %d retries, want 2:\n%s", got, log)
	}
	if !strings.Contains(log.String(), "(attempt 2 of 3)") {
		t.Errorf("log does not number the attempts:\n%s", log)
	}
}

func TestDialConnectTimeout(t *testing.T) {
	t.Parallel()
	// A listener that accepts and never says a word, like a firewall that black-holes SSH.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		accepted []net.Conn
		wg       sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted = append(accepted, c)
			mu.Unlock()
		}
	}()
	defer func() {
		l.Close()
		wg.Wait()
		for _, c := range accepted {
			c.Close()
		}
	}()
	k := sshd.NewKey(t, sshd.Ed25519)
	cfg := Config{
		Endpoint:       Endpoint{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, User: "root", Key: k.OpenSSH(t), HostFingerprint: ssh.FingerprintSHA256(k.Public)},
		ConnectTimeout: 300 * time.Millisecond,
		ConnectRetries: 1, // a timeout is a network error: retried
		RetryBackoff:   10 * time.Millisecond,
	}
	_, err = Dial(context.Background(), cfg, newLog())
	var te *timeoutError
	var ce *ConnectError
	if !errors.As(err, &te) || !errors.As(err, &ce) || ce.Attempts != 2 {
		t.Fatalf("Dial: %v, want a timeout after 2 attempts", err)
	}
	if want := "SSH handshake with 127.0.0.1:" + strconv.Itoa(cfg.Port) + " did not complete within 300ms (connect_timeout)"; !strings.Contains(err.Error(), want) {
		t.Errorf("message lacks %q:\n%v", want, err)
	}
	mu.Lock()
	got := len(accepted)
	mu.Unlock()
	if got != 2 {
		t.Errorf("the listener saw %d connections, want 2", got)
	}
}

func TestDialContextCanceled(t *testing.T) {
	t.Parallel()
	k := sshd.NewKey(t, sshd.Ed25519)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg := Config{
		Endpoint:       Endpoint{Host: "127.0.0.1", Port: port, User: "root", Key: k.OpenSSH(t), HostFingerprint: ssh.FingerprintSHA256(k.Public)},
		ConnectRetries: 100,
		RetryBackoff:   time.Hour,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = Dial(ctx, cfg, newLog())
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Dial: %v, want the context's error and the last connect error", err)
	}
}
