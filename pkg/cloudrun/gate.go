package cloudrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"cloud.google.com/go/run/apiv2/runpb"
)

// Gate is the health gate of each canary step. The revision must be Ready; the probe and the
// metric checks are optional.
type Gate struct {
	// Interval is how often the gate is checked during a bake (default 30s); it is always checked
	// at the end of the bake.
	Interval time.Duration
	// Probe, when set, requests the revision's tag URL.
	Probe *Probe
	// Metrics, when set, checks the revision's Cloud Monitoring metrics over the step.
	Metrics *MetricGate
}

// Probe is an HTTP GET of the revision's tag URL.
type Probe struct {
	// Path is requested on the tag URL, e.g. /healthz.
	Path string
	// Status is the status expected (default 200).
	Status int
}

// MetricGate bounds the revision's 5xx ratio and p99 latency.
type MetricGate struct {
	// Max5xxRatio is the highest share of 5xx answers allowed, from 0 to 1.
	Max5xxRatio float64
	// MaxP99 is the highest 99th percentile latency allowed; 0 leaves latency unchecked.
	MaxP99 time.Duration
	// MinRequests is the number of requests below which the metrics are inconclusive.
	MinRequests int64
	// InconclusivePasses says whether an inconclusive check at the end of a bake passes.
	InconclusivePasses bool
}

// Check is the outcome of one check of the gate.
type Check struct {
	// Name is "ready", "probe" or "metrics".
	Name         string
	Passed       bool
	Inconclusive bool
	// Detail says what was seen, e.g. "GET /healthz: 200" or "3/1200 5xx (0.25%), p99 180ms".
	Detail string
	// Stats are the metrics read by a "metrics" check, nil when they could not be read.
	Stats *Stats
}

func (g Gate) validate(hasMetrics bool) error {
	var errs []error
	if g.Interval < 0 {
		errs = append(errs, fmt.Errorf("gate interval %s is negative", g.Interval))
	}
	if p := g.Probe; p != nil {
		if !strings.HasPrefix(p.Path, "/") {
			errs = append(errs, fmt.Errorf("probe path %q must start with /", p.Path))
		}
		if p.Status != 0 && (p.Status < 100 || p.Status > 599) {
			errs = append(errs, fmt.Errorf("probe status %d is not an HTTP status", p.Status))
		}
	}
	if m := g.Metrics; m != nil {
		if m.Max5xxRatio < 0 || m.Max5xxRatio > 1 {
			errs = append(errs, fmt.Errorf("maximum 5xx ratio %g is outside 0 to 1", m.Max5xxRatio))
		}
		if m.MaxP99 < 0 || m.MinRequests < 0 {
			errs = append(errs, errors.New("maximum p99 latency and minimum request count must not be negative"))
		}
		if !hasMetrics {
			errs = append(errs, errors.New("the metric gate needs a Cloud Monitoring client"))
		}
	}
	return errors.Join(errs...)
}

// evaluate checks the gate of revision at a point of its step (which started at since); final
// says it is the check at the end of the bake, where an inconclusive metric check is decided.
// It returns the checks and whether they all passed.
func (c *Client) evaluate(ctx context.Context, ref ServiceRef, g Gate, revision, url string, since time.Time, final bool) ([]Check, bool) {
	checks := []Check{c.checkReadiness(ctx, ref, revision)}
	if g.Probe != nil {
		checks = append(checks, c.probe(ctx, url, *g.Probe))
	}
	if g.Metrics != nil {
		checks = append(checks, c.checkMetrics(ctx, ref, *g.Metrics, revision, since, final))
	}
	ok := true
	for _, ch := range checks {
		ok = ok && ch.Passed
	}
	return checks, ok
}

func (c *Client) checkReadiness(ctx context.Context, ref ServiceRef, revision string) Check {
	rev, err := c.getRevision(ctx, ref, revision)
	if err != nil {
		return Check{Name: "ready", Detail: err.Error()}
	}
	state, msg := readiness(rev)
	if state != runpb.Condition_CONDITION_SUCCEEDED {
		return Check{Name: "ready", Detail: (&NotReadyError{Revision: revision, State: state, Message: msg, LogURI: rev.GetLogUri()}).Error()}
	}
	return Check{Name: "ready", Passed: true, Detail: "Ready"}
}

// probe requests the path on the tag URL; a failed request is tried once more after a second.
func (c *Client) probe(ctx context.Context, base string, p Probe) Check {
	want := p.Status
	if want == 0 {
		want = http.StatusOK
	}
	url := strings.TrimSuffix(base, "/") + p.Path
	var detail string
	for attempt := 1; attempt <= 2; attempt++ {
		start := c.now()
		got, err := c.get(ctx, url)
		switch {
		case err != nil:
			detail = fmt.Sprintf("GET %s: %v", p.Path, err)
		case got != want:
			detail = fmt.Sprintf("GET %s: %d, want %d", p.Path, got, want)
		default:
			return Check{Name: "probe", Passed: true, Detail: fmt.Sprintf("GET %s: %d (%s)", p.Path, got, c.now().Sub(start).Round(time.Millisecond))}
		}
		if attempt == 1 && sleep(ctx, time.Second) != nil {
			break
		}
	}
	return Check{Name: "probe", Detail: detail}
}

func (c *Client) get(ctx context.Context, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", "twittix-infra-promote")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

func (c *Client) checkMetrics(ctx context.Context, ref ServiceRef, m MetricGate, revision string, since time.Time, final bool) Check {
	st, err := c.metrics.RevisionStats(ctx, ref, revision, since, c.now())
	if err != nil {
		return Check{Name: "metrics", Detail: err.Error()}
	}
	ratio := 0.0
	if st.Requests > 0 {
		ratio = float64(st.Errors5xx) / float64(st.Requests)
	}
	detail := fmt.Sprintf("%d/%d 5xx (%.2f%%)", st.Errors5xx, st.Requests, 100*ratio)
	if st.HasLatency {
		detail += fmt.Sprintf(", p99 %s", st.P99.Round(time.Millisecond))
	}
	if st.Requests < m.MinRequests {
		ch := Check{Name: "metrics", Inconclusive: true, Passed: !final || m.InconclusivePasses, Stats: &st,
			Detail: fmt.Sprintf("%s: fewer than %d requests, inconclusive", detail, m.MinRequests)}
		if final {
			if ch.Passed {
				ch.Detail += " (passes: inconclusive checks are allowed)"
			} else {
				ch.Detail += " (fails: inconclusive checks are not allowed)"
			}
		}
		return ch
	}
	if ratio > m.Max5xxRatio {
		return Check{Name: "metrics", Stats: &st, Detail: fmt.Sprintf("%s: 5xx ratio above the maximum %.2f%%", detail, 100*m.Max5xxRatio)}
	}
	if m.MaxP99 > 0 && st.HasLatency && st.P99 > m.MaxP99 {
		return Check{Name: "metrics", Stats: &st, Detail: fmt.Sprintf("%s: p99 above the maximum %s", detail, m.MaxP99)}
	}
	return Check{Name: "metrics", Passed: true, Stats: &st, Detail: detail}
}

// failures returns the details of the checks that failed.
func failures(checks []Check) string {
	var out []string
	for _, ch := range checks {
		if !ch.Passed {
			out = append(out, ch.Name+": "+ch.Detail)
		}
	}
	return strings.Join(out, "; ")
}

// brief returns a one-line summary of checks for progress lines.
func brief(checks []Check) string {
	var out []string
	for _, ch := range checks {
		mark := "ok"
		switch {
		case !ch.Passed:
			mark = "FAILED"
		case ch.Inconclusive:
			mark = "inconclusive"
		}
		out = append(out, fmt.Sprintf("%s %s (%s)", ch.Name, mark, ch.Detail))
	}
	return strings.Join(out, ", ")
}
