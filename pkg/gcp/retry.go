package gcp

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/api/googleapi"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// RetryPolicy says how often and how patiently a call is retried.
type RetryPolicy struct {
	// Attempts is the maximum number of calls, the first included (at least 1).
	Attempts int
	// Initial is the delay before the first retry; it grows by Multiplier up to Max.
	Initial time.Duration
	// Max caps the delay between two calls.
	Max time.Duration
	// Multiplier is the growth of the delay (at least 1).
	Multiplier float64
	// OnRetry, when set, is told about each retry before waiting (to log it).
	OnRetry func(attempt int, delay time.Duration, err error)
}

// maxHint caps the delay a server may ask for through RetryInfo.
const maxHint = time.Minute

// DefaultRetry retries up to 6 calls over about 20 seconds.
var DefaultRetry = RetryPolicy{Attempts: 6, Initial: 500 * time.Millisecond, Max: 8 * time.Second, Multiplier: 2}

// Retry calls fn until it succeeds, returns an error that is not Retryable, the attempts are spent
// or ctx is done. The delay grows exponentially with jitter (half to all of the nominal delay); a
// server's RetryInfo delay is honoured when longer. The last error is returned.
func Retry(ctx context.Context, p RetryPolicy, fn func(ctx context.Context) error) error {
	attempts := max(p.Attempts, 1)
	mult := max(p.Multiplier, 1)
	delay := p.Initial
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil || !Retryable(err) || attempt >= attempts {
			return err
		}
		wait := delay/2 + time.Duration(rand.Int64N(int64(delay/2)+1))
		if hint := min(retryDelayHint(err), maxHint); hint > wait {
			wait = hint
		}
		if p.OnRetry != nil {
			p.OnRetry(attempt, wait, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		delay = min(time.Duration(float64(delay)*mult), max(p.Max, p.Initial))
	}
}

// Retryable reports whether err is transient: gRPC UNAVAILABLE or RESOURCE_EXHAUSTED, or an HTTP
// 429 or 5xx answer.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		return gerr.Code == http.StatusTooManyRequests || gerr.Code >= 500 && gerr.Code <= 599
	}
	var aerr *apierror.APIError
	if errors.As(err, &aerr) {
		if aerr.HTTPCode() > 0 {
			c := aerr.HTTPCode()
			return c == http.StatusTooManyRequests || c >= 500 && c <= 599
		}
		return retryableCode(aerr.GRPCStatus().Code())
	}
	if st, ok := status.FromError(err); ok {
		return retryableCode(st.Code())
	}
	return false
}

func retryableCode(c codes.Code) bool {
	return c == codes.Unavailable || c == codes.ResourceExhausted
}

// retryDelayHint returns the delay a google.rpc.RetryInfo detail asks for, or 0.
func retryDelayHint(err error) time.Duration {
	var aerr *apierror.APIError
	if errors.As(err, &aerr) {
		if ri := aerr.Details().RetryInfo; ri != nil && ri.GetRetryDelay() != nil {
			return ri.GetRetryDelay().AsDuration()
		}
		return 0
	}
	if st, ok := status.FromError(err); ok {
		for _, d := range st.Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
				return ri.GetRetryDelay().AsDuration()
			}
		}
	}
	return 0
}
