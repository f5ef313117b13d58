// Command httpapi is a small protected HTTP API. Each route chooses how
// its tokens are checked, local JWT verification or token introspection,
// and which scopes it requires:
//
//	GET  /orders      local JWT       orders:read
//	POST /orders      local JWT       orders:write
//	POST /refunds     introspection   refunds:write
//	GET  /healthz     public (liveness)
//	GET  /readyz      public: 503 naming what is missing until both verifiers can check tokens
//	GET  /metrics     public: OpenTelemetry metrics in the Prometheus format
//	GET  /.well-known/oauth-protected-resource   RFC 9728 metadata, public
//
// It runs against the standalone test issuer (go run ./examples/issuer) by
// default, or any provider, configured by flags or environment variables:
//
//	go run ./examples/httpapi -issuer http://127.0.0.1:9400 -audience https://api.example.test
//
// See README.md beside this file for settings of common providers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "httpapi:", err)
		os.Exit(1)
	}
}

// config is the API's settings.
type config struct {
	addr         string
	issuer       string
	audience     string
	clientID     string // for introspection
	clientSecret string
	resource     string // RFC 9728 resource identifier; default: audience
	cooldown     time.Duration
}

// parseConfig reads flags, each defaulting to an environment variable.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var c config
	fs := flag.NewFlagSet("httpapi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", env("HTTPAPI_ADDR", "127.0.0.1:9401"), "listen address ($HTTPAPI_ADDR)")
	fs.StringVar(&c.issuer, "issuer", env("ISSUER_URL", "http://127.0.0.1:9400"), "issuer URL, exactly as in its tokens' iss ($ISSUER_URL)")
	fs.StringVar(&c.audience, "audience", env("API_AUDIENCE", "https://api.example.test"), "this API's identifier, required in the tokens' aud ($API_AUDIENCE)")
	fs.StringVar(&c.clientID, "introspection-client-id", env("INTROSPECTION_CLIENT_ID", "api"), "client ID for the introspection endpoint ($INTROSPECTION_CLIENT_ID)")
	fs.StringVar(&c.clientSecret, "introspection-client-secret", env("INTROSPECTION_CLIENT_SECRET", "api-secret"), "client secret for the introspection endpoint ($INTROSPECTION_CLIENT_SECRET)")
	fs.StringVar(&c.resource, "resource", env("RESOURCE_URL", ""), "RFC 9728 resource identifier (default: the audience) ($RESOURCE_URL)")
	fs.DurationVar(&c.cooldown, "jwks-cooldown", 30*time.Second, "least time between two key set fetches for unknown kids")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.resource == "" {
		c.resource = c.audience
	}
	return c, nil
}

// run serves the API until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	a, err := newAPI(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.close()
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "httpapi: listening on http://%s (issuer %s, audience %s)\n", ln.Addr(), cfg.issuer, cfg.audience)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
