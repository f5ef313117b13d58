// Command spa tells, in a real browser, the story tokengate exists for: a
// single-page app, a third-party analytics service, and a revocation.
//
//	go run ./examples/spa
//
// prints one URL; open it. One process serves four loopback origins:
//
//   - the app: static HTML and plain JavaScript that runs the
//     authorization code flow with PKCE in the browser, as a public
//     client, keeps its tokens in memory only, and shows each request and
//     answer as it happens;
//   - the team's API, protected by tokengate one line per route:
//     GET /profile (profile:read) and PUT /profile (profile:write) checked
//     as local JWTs, GET /profile/introspected (profile:read) checked by
//     introspection; CORS for the app's origin only;
//   - the analytics service, a confidential client the user connects from
//     the app: it gets a token for profile:read only, never the password,
//     and reads the profile on its own schedule;
//   - the test issuer (issuertest), with its sign-in, consent and
//     connected-apps pages, where the user revokes analytics.
//
// The flags move the origins to other loopback ports (port 0 picks a free
// one). They stay on loopback: the app needs a secure context for
// WebCrypto, which plain http has only there.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tokengate/tokengate/internal/netpolicy"
	"github.com/tokengate/tokengate/issuertest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "spa:", err)
		os.Exit(1)
	}
}

// parseConfig reads the flags into a config for newDemo.
func parseConfig(args []string, stderr io.Writer) (config, error) {
	c := config{interactive: true, now: time.Now}
	fs := flag.NewFlagSet("spa", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.appAddr, "app-addr", "127.0.0.1:9500", "address of the single-page app")
	fs.StringVar(&c.apiAddr, "api-addr", "127.0.0.1:9501", "address of the profile API")
	fs.StringVar(&c.analyticsAddr, "analytics-addr", "127.0.0.1:9502", "address of the analytics service")
	fs.StringVar(&c.issuerAddr, "issuer-addr", "127.0.0.1:9503", "address of the test issuer")
	fs.DurationVar(&c.syncEvery, "sync-every", 30*time.Second, "how often analytics reads the profiles it may read (0: only when asked)")
	fs.DurationVar(&c.accessTTL, "access-ttl", issuertest.DefaultAccessTokenLifetime, "access token lifetime, until which a revoked token still passes a local JWT check")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: spa [flags]\n\nServes a single-page app, its API, a third-party analytics service and a\ntest issuer on loopback, and prints the app's URL.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, a := range []struct{ flag, addr string }{
		{"-app-addr", c.appAddr}, {"-api-addr", c.apiAddr}, {"-analytics-addr", c.analyticsAddr}, {"-issuer-addr", c.issuerAddr},
	} {
		host, _, err := net.SplitHostPort(a.addr)
		if err != nil || !netpolicy.IsLoopback(host) {
			return c, fmt.Errorf("%s %s: want a loopback host:port, such as 127.0.0.1:0 (WebCrypto needs a secure context, which plain http has only on loopback)", a.flag, netpolicy.Quote(a.addr))
		}
	}
	if c.syncEvery < 0 || c.accessTTL <= 0 {
		return c, fmt.Errorf("-sync-every must not be negative and -access-ttl must be positive")
	}
	return c, nil
}

// run serves the story until ctx ends, after printing the app's URL.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	d, err := newDemo(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "spa: open %s/\n", d.appURL)
	<-ctx.Done()
	return d.close()
}
