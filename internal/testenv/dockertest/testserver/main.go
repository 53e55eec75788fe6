// Command testserver is the tiny HTTP server packed into the FROM-scratch images that the Swarm
// tests and benchmarks deploy.
//
// It serves GET / (the version it was built with) and GET /healthz, and can act as its own
// healthcheck client, since a scratch image has no curl. Its behaviour is set by flags or by
// environment variables, so that a compose file can make it healthy, unhealthy or crashing:
//
//	-listen ADDR        LISTEN        address to serve on (default ":8080")
//	-unhealthy          UNHEALTHY=1   /healthz answers 500
//	-exit-after D       EXIT_AFTER=D  exit after duration D, with status EXIT_CODE (default 3)
//	-fail-start         FAIL_START=1  exit with status 2 at once
//	-check              (none)        probe http://127.0.0.1:8080/healthz and exit 0 or 1
//	(none)              DELAY=D       GET / answers after duration D (for load tests)
//
// VERSION, baked into each image variant by the test helper, is printed and served.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	os.Exit(run())
}

func run() int {
	var (
		listen     = flag.String("listen", envOr("LISTEN", ":8080"), "address to serve on")
		unhealthy  = flag.Bool("unhealthy", os.Getenv("UNHEALTHY") == "1", "answer 500 on /healthz")
		exitAfter  = flag.Duration("exit-after", durationEnv("EXIT_AFTER"), "exit after this duration")
		exitCode   = flag.Int("exit-code", intEnv("EXIT_CODE", 3), "status of -exit-after")
		failStart  = flag.Bool("fail-start", os.Getenv("FAIL_START") == "1", "exit with status 2 at once")
		check      = flag.Bool("check", false, "probe the local /healthz and exit 0 when healthy")
		checkURL   = flag.String("check-url", "http://127.0.0.1:8080/healthz", "URL probed by -check")
		versionStr = os.Getenv("VERSION")
	)
	flag.Parse()

	if *check {
		return probe(*checkURL)
	}
	fmt.Printf("testserver %s starting on %s\n", versionStr, *listen)
	if *failStart {
		fmt.Println("fatal: configured to fail at start (FAIL_START=1)")
		return 2
	}

	mux := http.NewServeMux()
	delay := durationEnv("DELAY")
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(delay)
		fmt.Fprintf(w, "%s\n", versionStr)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if *unhealthy {
			fmt.Println("health check failing: configured unhealthy (UNHEALTHY=1)")
			http.Error(w, "unhealthy", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()

	var deadline <-chan time.Time
	if *exitAfter > 0 {
		deadline = time.After(*exitAfter)
	}
	select {
	case <-ctx.Done():
		fmt.Println("testserver stopping on signal")
		shutdown(srv)
		return 0
	case <-deadline:
		fmt.Printf("exiting with status %d after %s (EXIT_AFTER)\n", *exitCode, *exitAfter)
		return *exitCode
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Printf("fatal: %v\n", err)
			return 1
		}
		return 0
	}
}

func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

func probe(url string) int {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, resp.Status)
		return 1
	}
	return 0
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func durationEnv(key string) time.Duration {
	d, _ := time.ParseDuration(os.Getenv(key))
	return d
}

func intEnv(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return n
	}
	return def
}
