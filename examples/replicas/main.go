// Command replicas is one replica of an API that runs as many, sharing
// through Redis what one replica alone would keep to itself (package
// redisstore):
//
//   - introspection results, so that the replicas make one call to the
//     authorization server for a new token, not one each;
//   - the replay store of one-time values, so that a value used at one
//     replica is refused at every other;
//   - revocations: the replica that receives a back-channel logout token
//     or a CAEP security event purges the caches of all of them.
//
// Its routes:
//
//	GET  /orders        introspection, orders:read
//	POST /revocations   OpenID Connect Back-Channel Logout and RFC 8935 push (package revocation/receiver)
//	POST /proofs        jti=...: a one-time value checked at the shared replay store,
//	                    as a DPoP proof's jti is (201 fresh, 409 replayed)
//	GET  /healthz       public
//
// Run three against the standalone test issuer and one Redis:
//
//	go run ./examples/issuer -addr 127.0.0.1:9400 &
//	export REPLICAS_SHARED_SECRET=$(openssl rand -hex 32)
//	for port in 9411 9412 9413; do
//		go run ./examples/replicas -addr 127.0.0.1:$port -redis 127.0.0.1:6379 &
//	done
//
// and register one replica's /revocations as the backchannel_logout_uri
// and security_events_uri of the API's client at the issuer.
package main

import (
	"context"
	"encoding/hex"
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
		fmt.Fprintln(os.Stderr, "replicas:", err)
		os.Exit(1)
	}
}

// config is a replica's settings.
type config struct {
	name         string
	addr         string
	issuer       string
	jwksURL      string
	audience     string
	clientID     string
	clientSecret string
	redisAddr    string
	secret       []byte
	maxCacheTTL  time.Duration
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
	var secret string
	fs := flag.NewFlagSet("replicas", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.name, "name", env("REPLICA_NAME", ""), "this replica's name in answers (default: its address) ($REPLICA_NAME)")
	fs.StringVar(&c.addr, "addr", env("REPLICA_ADDR", "127.0.0.1:9411"), "listen address ($REPLICA_ADDR)")
	fs.StringVar(&c.issuer, "issuer", env("ISSUER_URL", "http://127.0.0.1:9400"), "issuer URL ($ISSUER_URL)")
	fs.StringVar(&c.jwksURL, "jwks-url", env("JWKS_URL", ""), "the issuer's JWKS, which signs revocation events (default: <issuer>/jwks) ($JWKS_URL)")
	fs.StringVar(&c.audience, "audience", env("API_AUDIENCE", "https://api.example.test"), "this API's identifier ($API_AUDIENCE)")
	fs.StringVar(&c.clientID, "client-id", env("INTROSPECTION_CLIENT_ID", "api"), "client ID at the issuer, for introspection and as the audience of revocation events ($INTROSPECTION_CLIENT_ID)")
	fs.StringVar(&c.clientSecret, "client-secret", env("INTROSPECTION_CLIENT_SECRET", "api-secret"), "client secret ($INTROSPECTION_CLIENT_SECRET)")
	fs.StringVar(&c.redisAddr, "redis", env("REDIS_ADDR", "127.0.0.1:6379"), "Redis host:port ($REDIS_ADDR)")
	fs.StringVar(&secret, "shared-secret", env("REPLICAS_SHARED_SECRET", ""), "hex secret of 32+ bytes, the same at every replica: keys the shared cache ($REPLICAS_SHARED_SECRET)")
	fs.DurationVar(&c.maxCacheTTL, "max-cache-ttl", time.Minute, "longest reuse of an introspection result")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	if c.secret, err = hex.DecodeString(secret); err != nil || len(c.secret) < 32 {
		return c, errors.New("-shared-secret ($REPLICAS_SHARED_SECRET) must be at least 32 bytes in hex, the same at every replica")
	}
	if c.jwksURL == "" {
		c.jwksURL = c.issuer + "/jwks"
	}
	return c, nil
}

// run serves the replica until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	if cfg.name == "" {
		cfg.name = ln.Addr().String()
	}
	r, err := newReplica(ctx, cfg, stderr)
	if err != nil {
		ln.Close()
		return err
	}
	defer r.close()
	srv := &http.Server{Handler: r.handler, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "replicas: listening on http://%s (issuer %s, redis %s)\n", ln.Addr(), cfg.issuer, cfg.redisAddr)
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
