package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/twittix/infra/pkg/logging"
)

// DialFunc opens a connection, as net.Dialer.DialContext does; a closure around
// sshconn.Client.DialTCP carries it over an SSH connection.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Options describe one load test.
type Options struct {
	// Targets are hit in turn, round robin.
	Targets []vegeta.Target
	// Routes maps the host:port a target URL dials to the address dialed instead (see Routes).
	Routes map[string]string
	// Profile sets the rates, durations and warm-up.
	Profile Profile
	// Dial opens every connection; nil dials on the local network.
	Dial DialFunc
	// Timeout bounds each request (30s when 0).
	Timeout time.Duration
	// MaxWorkers bounds the concurrent requests (vegeta's default, unbounded, when 0).
	MaxWorkers uint64
}

// DefaultTimeout bounds each request when Options.Timeout is 0.
const DefaultTimeout = 30 * time.Second

// Run runs the warm-up, then each step, and returns what each step measured. When ctx ends, the
// attack stops at once (requests in flight are abandoned and not counted) and Run returns what
// was measured so far, with Canceled set, and ctx's error.
func Run(ctx context.Context, o Options, log logging.Logger) (*Result, error) {
	if log == nil {
		log = logging.Discard
	}
	if len(o.Targets) == 0 || len(o.Profile.Steps) == 0 {
		return nil, errors.New("nothing to run: give at least one target and one step")
	}
	client := o.client(ctx)
	defer client.CloseIdleConnections()

	res := &Result{}
	if o.Profile.Warmup > 0 {
		end := log.Group(fmt.Sprintf("Warm-up: %s req/s for %s (not counted)", formatNumber(o.Profile.Steps[0].Rate), o.Profile.Warmup))
		m := &vegeta.Metrics{}
		o.attack(ctx, client, Step{Rate: o.Profile.Steps[0].Rate, Duration: o.Profile.Warmup}, "warmup", m)
		m.Close()
		res.WarmupRequests = m.Requests
		log.Infof("warm-up: %d requests, %s succeeded", m.Requests, percent(m.Success))
		end()
	}
	total := &vegeta.Metrics{}
	for i, step := range o.Profile.Steps {
		if ctx.Err() != nil {
			break
		}
		end := log.Group(fmt.Sprintf("Step %d/%d: %s req/s for %s", i+1, len(o.Profile.Steps), formatNumber(step.Rate), step.Duration))
		m := &vegeta.Metrics{}
		o.attack(ctx, client, step, fmt.Sprintf("step-%d", i+1), m, total)
		s := stepResult(step.Rate, m)
		res.Steps = append(res.Steps, s)
		log.Infof("%d requests at %s req/s: p50 %s, p95 %s, p99 %s, errors %s", s.Requests, formatNumber(s.Rate),
			millis(s.Latency.P50), millis(s.Latency.P95), millis(s.Latency.P99), percent(s.ErrorRatio))
		for _, e := range s.Errors {
			log.Warnf("step %s: %s", s.Label(), e)
		}
		end()
	}
	res.Total = stepResult(0, total)
	if err := ctx.Err(); err != nil {
		res.Canceled = true
		log.Warnf("load test stopped after %d measured requests: %v", res.Total.Requests, err)
		return res, fmt.Errorf("load test stopped before its end: %w", err)
	}
	return res, nil
}

// client is the HTTP client of every attack: its connections are dialed through o.Dial, at the
// routed address, and its requests end with ctx.
func (o Options) client(ctx context.Context) *http.Client {
	dial := o.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	routes := o.Routes
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{
		Timeout: timeout,
		Transport: ctxTransport{ctx: ctx, rt: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if to, ok := routes[addr]; ok {
					addr = to
				}
				return dial(ctx, network, addr)
			},
			MaxIdleConnsPerHost: vegeta.DefaultConnections,
			ForceAttemptHTTP2:   false,
		}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ctxTransport ties every request to ctx, so that cancelling the test abandons requests in flight.
type ctxTransport struct {
	ctx context.Context
	rt  *http.Transport
}

func (t ctxTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.rt.RoundTrip(req.WithContext(t.ctx))
}

func (t ctxTransport) CloseIdleConnections() { t.rt.CloseIdleConnections() }

// attack hits the targets at step's pace until its end or ctx's, and adds the results to each of
// metrics: not those of requests abandoned because ctx ended.
func (o Options) attack(ctx context.Context, client *http.Client, step Step, name string, metrics ...*vegeta.Metrics) {
	opts := []func(*vegeta.Attacker){vegeta.Client(client), vegeta.Redirects(vegeta.NoFollow), vegeta.MaxBody(0)}
	if o.MaxWorkers > 0 {
		opts = append(opts, vegeta.MaxWorkers(o.MaxWorkers))
	}
	a := vegeta.NewAttacker(opts...)
	stop := context.AfterFunc(ctx, func() { a.Stop() })
	defer stop()
	// Freq per 1000 s keeps fractional rates (0.5 req/s) exact.
	pacer := vegeta.ConstantPacer{Freq: int(step.Rate*1000 + 0.5), Per: 1000 * time.Second}
	for r := range a.Attack(vegeta.NewStaticTargeter(o.Targets...), pacer, step.Duration, name) {
		if ctx.Err() != nil && strings.Contains(r.Error, context.Canceled.Error()) {
			continue
		}
		for _, m := range metrics {
			m.Add(r)
		}
	}
}
