// Package loadtest runs a load test against HTTP services and judges its result.
//
// The attack, its pacing and its metrics are vegeta's (github.com/tsenart/vegeta/v12); this
// package adds what a deploy pipeline needs around them: targets in vegeta's formats routed to
// named services, a profile of steps with an uncounted warm-up, requests carried by an injected
// dialer (one SSH connection, or the local network), a Result per step that encodes as JSON, and a
// Verdict on thresholds and on a baseline from a previous run. It never reads the environment or
// prints: progress goes to the logging.Logger it is given.
package loadtest
