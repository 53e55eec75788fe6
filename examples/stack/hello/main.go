// Command hello is the example twittix service: an HTTP server that greets, reports its version
// and health, and can be told to be unhealthy, so the demo can show a failed release rolled back.
//
// It reads its greeting from a Swarm config and its token from a Swarm secret, as real services do.
// Run with -check, it is its own healthcheck (a scratch image has no curl).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	check := flag.Bool("check", false, "probe /healthz of the running server and exit 0 if healthy")
	flag.Parse()
	addr := envOr("LISTEN_ADDR", ":8080")
	if *check {
		os.Exit(probe(addr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, addr); err != nil {
		log.Fatal(err)
	}
}

func serve(ctx context.Context, addr string) error {
	version := envOr("VERSION", "dev")
	healthy := os.Getenv("HEALTHY") != "false"
	greeting := strings.TrimSpace(readFile(envOr("GREETING_FILE", "/greeting.txt"), "hello"))
	token := readFile(envOr("TOKEN_FILE", "/run/secrets/api_token"), "")

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s from twittix %s\n", greeting, version)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if !healthy {
			http.Error(w, "unhealthy on purpose (HEALTHY=false)", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		// Proves the secret arrived without revealing it.
		fmt.Fprintf(w, "token: %d bytes\n", len(token))
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("hello %s listening on %s (healthy=%v)", version, addr, healthy)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func probe(addr string) int {
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "status", resp.Status)
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

func readFile(path, def string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return def
	}
	return string(b)
}
