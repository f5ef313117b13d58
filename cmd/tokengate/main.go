// Command tokengate is the operator's tool for tokengate. Its one
// subcommand, explain, says why an API would accept or refuse a token:
//
//	go run ./cmd/tokengate explain -issuer https://id.example.com -audience https://api.example.com < token
//	go run ./cmd/tokengate explain -issuer ... -audience ... -token-file token.txt
//
// It fetches the issuer's metadata and key set, decodes the token's header
// and claims for display, runs the verifier's own checks (verifier.JWT,
// the very code the middleware runs) and prints each check in order with
// its result and the values involved, the verdict, and the HTTP answer the
// middleware would give. It never prints the token or its signature.
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
	code, err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "tokengate:", err)
	}
	os.Exit(code)
}

// Exit codes of run.
const (
	exitAccepted = 0 // the token would be accepted
	exitRefused  = 1 // the token would be refused (or cannot be checked now)
	exitUsage    = 2 // bad arguments or setup
)

// run runs the subcommand named by args[0] and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 || args[0] != "explain" {
		fmt.Fprintln(stderr, "usage: tokengate explain -issuer URL -audience AUD [-token-file FILE] [flags] < token")
		return exitUsage, errors.New("want the subcommand explain")
	}
	return explain(ctx, args[1:], stdin, stdout, stderr)
}
