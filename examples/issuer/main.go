// Command issuer runs the tokengate test issuer (package issuertest) as a
// standalone server on loopback, for tests written in any language and for
// a local development loop:
//
//	go install github.com/tokengate/tokengate/examples/issuer@latest
//	issuer -addr 127.0.0.1:9400 -alg ES256 -config issuer.json
//
// or, in a clone, go run ./examples/issuer.
//
// It prints the issuer URL and the default client credentials, shows the
// HTML login page (unless -interactive=false), serves the JSON admin
// endpoint under /admin/ (unless -admin=false), and stops cleanly on
// SIGINT or SIGTERM. See README.md beside this file.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tokengate/tokengate/issuertest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "issuer:", err)
		os.Exit(1)
	}
}

// fileConfig is the JSON file of -config. An absent member keeps the
// built-in default.
type fileConfig struct {
	Audiences         []string            `json:"audiences,omitempty"`
	Clients           []issuertest.Client `json:"clients,omitempty"`
	Users             []issuertest.User   `json:"users,omitempty"`
	DefaultUser       string              `json:"default_user,omitempty"`
	ScopeDescriptions map[string]string   `json:"scope_descriptions,omitempty"`
}

// defaultFileConfig is the built-in configuration, printed by -print-config.
func defaultFileConfig() fileConfig {
	return fileConfig{
		Audiences:         []string{issuertest.DefaultAudience},
		Clients:           issuertest.DefaultClients(),
		Users:             issuertest.DefaultUsers(),
		DefaultUser:       issuertest.Alice,
		ScopeDescriptions: issuertest.DefaultScopeDescriptions(),
	}
}

// flags are the command line settings.
type flags struct {
	addr, issuer, alg, config        string
	accessTTL, idTTL, refreshTTL     time.Duration
	codeTTL, keyOverlap, keyAhead    time.Duration
	jwksMaxAge                       time.Duration
	interactive, opaque, admin, dump bool
}

func parseFlags(args []string, out io.Writer) (*flags, error) {
	f := &flags{}
	fs := newFlagSet(f, out)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return f, nil
}

// newFlagSet defines the flags into f. README.md documents each in its
// flag table.
func newFlagSet(f *flags, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("issuer", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:9400", "address to listen on (port 0 picks a free port)")
	fs.StringVar(&f.issuer, "issuer", "", "public issuer URL, if not http://<addr> (e.g. behind a proxy); no path")
	fs.StringVar(&f.alg, "alg", issuertest.AlgRS256, "signing algorithm: RS256, ES256 or EdDSA")
	fs.StringVar(&f.config, "config", "", "JSON file of audiences, clients and users (default: built in, see -print-config)")
	fs.DurationVar(&f.accessTTL, "access-ttl", issuertest.DefaultAccessTokenLifetime, "access token lifetime")
	fs.DurationVar(&f.idTTL, "id-ttl", issuertest.DefaultIDTokenLifetime, "ID token lifetime")
	fs.DurationVar(&f.refreshTTL, "refresh-ttl", issuertest.DefaultRefreshTokenLifetime, "refresh token lifetime")
	fs.DurationVar(&f.codeTTL, "code-ttl", issuertest.DefaultCodeLifetime, "authorization code lifetime")
	fs.DurationVar(&f.keyOverlap, "key-overlap", issuertest.DefaultKeyOverlap, "how long a rotated-out key stays in the JWKS")
	fs.DurationVar(&f.keyAhead, "key-publish-ahead", issuertest.DefaultKeyPublishAhead, "how long a key of a publish-then-sign rotation is in the JWKS before it signs")
	fs.DurationVar(&f.jwksMaxAge, "jwks-max-age", issuertest.DefaultJWKSMaxAge, "Cache-Control max-age of the JWKS")
	fs.BoolVar(&f.interactive, "interactive", true, "show the HTML login and consent pages (false: sign in login_hint or the default user at once)")
	fs.BoolVar(&f.opaque, "opaque", false, "issue opaque access tokens instead of JWTs")
	fs.BoolVar(&f.admin, "admin", true, "serve the JSON admin endpoint under /admin/")
	fs.BoolVar(&f.dump, "print-config", false, "print the built-in configuration as JSON and exit")
	return fs
}

// run starts the issuer, prints how to use it to out, and serves until ctx
// is done.
func run(ctx context.Context, args []string, out io.Writer) error {
	f, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	if f.dump {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(defaultFileConfig())
	}
	cfg := defaultFileConfig()
	if f.config != "" {
		if cfg, err = loadConfig(f.config); err != nil {
			return err
		}
	}
	s, err := start(options(f, cfg))
	if err != nil {
		return err
	}
	defer s.Close()
	printBanner(out, s, cfg, f)
	<-ctx.Done()
	fmt.Fprintln(out, "issuer: shutting down")
	return nil
}

// loadConfig reads a -config file strictly: unknown members are errors.
func loadConfig(path string) (fileConfig, error) {
	file, err := os.Open(path)
	if err != nil {
		return fileConfig{}, err
	}
	defer file.Close()
	cfg := defaultFileConfig()
	var read fileConfig
	dec := json.NewDecoder(io.LimitReader(file, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&read); err != nil {
		return fileConfig{}, fmt.Errorf("config %s: %w", path, err)
	}
	if read.Audiences != nil {
		cfg.Audiences = read.Audiences
	}
	if read.Clients != nil {
		cfg.Clients = read.Clients
	}
	if read.Users != nil {
		cfg.Users, cfg.DefaultUser = read.Users, ""
	}
	if read.DefaultUser != "" {
		cfg.DefaultUser = read.DefaultUser
	}
	for scope, d := range read.ScopeDescriptions {
		cfg.ScopeDescriptions[scope] = d // added to the defaults; "" removes one
	}
	if len(cfg.Audiences) == 0 {
		return fileConfig{}, fmt.Errorf("config %s: audiences is empty", path)
	}
	return cfg, nil
}

func options(f *flags, cfg fileConfig) []issuertest.Option {
	opts := []issuertest.Option{
		issuertest.WithAddr(f.addr),
		issuertest.WithSigningAlg(f.alg),
		issuertest.WithAudience(cfg.Audiences[0], cfg.Audiences[1:]...),
		issuertest.WithClients(cfg.Clients...),
		issuertest.WithUsers(cfg.Users...),
		issuertest.WithAccessTokenLifetime(f.accessTTL),
		issuertest.WithIDTokenLifetime(f.idTTL),
		issuertest.WithRefreshTokenLifetime(f.refreshTTL),
		issuertest.WithCodeLifetime(f.codeTTL),
		issuertest.WithKeyOverlap(f.keyOverlap),
		issuertest.WithKeyPublishAhead(f.keyAhead),
		issuertest.WithScopeDescriptions(cfg.ScopeDescriptions),
		issuertest.WithJWKSMaxAge(f.jwksMaxAge),
	}
	if cfg.DefaultUser != "" {
		opts = append(opts, issuertest.WithDefaultUser(cfg.DefaultUser))
	}
	if f.issuer != "" {
		opts = append(opts, issuertest.WithIssuerURL(f.issuer))
	}
	if f.interactive {
		opts = append(opts, issuertest.WithInteractiveLogin())
	}
	if f.opaque {
		opts = append(opts, issuertest.WithOpaqueAccessTokens())
	}
	if f.admin {
		opts = append(opts, issuertest.WithAdminAPI())
	}
	return opts
}

// start calls issuertest.NewServer, which panics on a bad configuration
// (it is made for tests), and turns that panic into an error.
func start(opts []issuertest.Option) (s *issuertest.Server, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	return issuertest.NewServer(opts...), nil
}

func printBanner(out io.Writer, s *issuertest.Server, cfg fileConfig, f *flags) {
	fmt.Fprintf(out, "issuer: %s\n", s.URL)
	fmt.Fprintf(out, "listening on: %s\n", s.Addr())
	fmt.Fprintf(out, "discovery: %s/.well-known/openid-configuration\n", s.URL)
	fmt.Fprintf(out, "audience: %s\n", s.Audience())
	for _, c := range cfg.Clients {
		secret := "(public client, PKCE)"
		if c.Secret != "" {
			secret = "secret " + c.Secret
		}
		fmt.Fprintf(out, "client: %s %s grants %v\n", c.ID, secret, c.GrantTypes)
	}
	for _, u := range cfg.Users {
		fmt.Fprintf(out, "user: %s password %s\n", u.Subject, u.Password)
	}
	if f.admin {
		fmt.Fprintf(out, "admin: %s/admin/ (see README.md)\n", s.URL)
	}
}
