package loadtest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Step is one stage of a profile: a constant rate for a duration.
type Step struct {
	// Rate is the request rate, in requests per second.
	Rate float64 `json:"rate"`
	// Duration is how long the rate is held.
	Duration time.Duration `json:"duration"`
}

// Profile is how hard and how long a load test hits its targets.
type Profile struct {
	// Warmup is hit first at the first step's rate; its requests are not counted.
	Warmup time.Duration
	// Steps run one after the other; each is measured on its own.
	Steps []Step
}

// MaxRate bounds a step's rate: far above what one runner measures meaningfully.
const MaxRate = 100000

// ParseRates parses a rate (50) or steps of rates (10,50,100), in requests per second, each held
// for duration.
func ParseRates(text string, duration time.Duration) ([]Step, error) {
	var steps []Step
	var errs []error
	for _, item := range strings.Split(text, ",") {
		item = strings.TrimSpace(item)
		r, err := strconv.ParseFloat(item, 64)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%q is not a number of requests per second, e.g. 50 or 10,50,100", item))
		case r <= 0 || r > MaxRate:
			errs = append(errs, fmt.Errorf("%s req/s is out of range: give a rate above 0 and at most %d", item, MaxRate))
		}
		steps = append(steps, Step{Rate: r, Duration: duration})
	}
	if duration <= 0 {
		errs = append(errs, fmt.Errorf("the duration of a step must be positive, e.g. 30s (got %s)", duration))
	}
	return steps, errors.Join(errs...)
}
