// Command quickstart tells the whole OAuth 2.0 + OpenID Connect story of a
// protected API, as it happens, and checks every step.
//
// One process starts the bundled test issuer, an API with one route checked
// by local JWT verification and one by token introspection, and a client.
// The client signs a user in with the authorization code flow and PKCE,
// verifies the ID token, calls the API, shows what the API refuses (an ID
// token, a token without the route's scope), refreshes with rotation,
// survives a key rotation, and revokes its token. Last, a client with a DPoP
// key gets a token bound to it (RFC 9449): the token works with the key's
// proof, and is refused when stolen (sent as a bearer token, or with
// another key's proof) and when a proof is replayed. Tokens are shortened
// when printed, never shown whole.
//
//	go run ./examples/quickstart [-quiet] [-json] [-alg RS256|ES256|EdDSA]
//
// It exits 0 when every step behaved as expected, and otherwise 1, naming
// the step that did not.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return
	case err != nil:
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// options are the command line flags.
type options struct {
	quiet bool
	json  bool
	alg   string
}

// run parses args and tells the story on stdout. Usage and flag errors go
// to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var opts options
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&opts.quiet, "quiet", false, "print one line per step, without the details")
	fs.BoolVar(&opts.json, "json", false, "print each step as a JSON object on its own line")
	fs.StringVar(&opts.alg, "alg", "RS256", "the issuer's signing algorithm: RS256, ES256 or EdDSA")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: quickstart [flags]\n\nRuns the bundled issuer, a protected API and a client, and walks through\nthe OAuth 2.0 + OpenID Connect story, checking every step.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch opts.alg {
	case "RS256", "ES256", "EdDSA":
	default:
		return fmt.Errorf("-alg %q: want RS256, ES256 or EdDSA", opts.alg)
	}
	s, err := newStory(ctx, opts.alg, newReporter(stdout, opts))
	if err != nil {
		return err
	}
	defer s.close()
	return s.tell(ctx)
}
