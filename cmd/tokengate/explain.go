package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tokengate/tokengate/internal/discovery"
	"github.com/tokengate/tokengate/jwkscache"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// maxInput bounds the token read from stdin or a file.
const maxInput = 64 << 10

// options are explain's flags.
type options struct {
	issuer, audience, jwksURL, tokenFile, scope string
	insecure                                    bool
	timeout                                     time.Duration
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("tokengate explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.issuer, "issuer", "", "the issuer identifier, exactly as in the tokens' iss (required)")
	fs.StringVar(&o.audience, "audience", "", "this API's identifier, required in the tokens' aud (required)")
	fs.StringVar(&o.jwksURL, "jwks-url", "", "the key set's URL (default: the jwks_uri of the issuer's metadata)")
	fs.StringVar(&o.tokenFile, "token-file", "", "read the token from this file (default: standard input)")
	fs.StringVar(&o.scope, "scope", "", "space-separated scopes the route requires, for the HTTP answer")
	fs.BoolVar(&o.insecure, "insecure", false, "allow plain-http issuer and key set URLs on hosts other than loopback")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "bound on the fetches")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.issuer == "" || o.audience == "" {
		return o, errors.New("-issuer and -audience are required")
	}
	return o, nil
}

// readToken reads the token, bounded, trimmed of surrounding space and of
// a "Bearer " prefix pasted along with it.
func readToken(o options, stdin io.Reader) (string, error) {
	r := stdin
	if o.tokenFile != "" {
		b, err := readFile(o.tokenFile)
		if err != nil {
			return "", err
		}
		r = bytes.NewReader(b)
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return "", fmt.Errorf("reading the token: %w", err)
	}
	if len(b) > maxInput {
		return "", fmt.Errorf("the input is longer than %d bytes; no token is", maxInput)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
		tok = strings.TrimSpace(tok[7:])
	}
	if tok == "" {
		return "", errors.New("no token in the input")
	}
	return tok, nil
}

// explain is the explain subcommand.
func explain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return exitUsage, err
	}
	token, err := readToken(o, stdin)
	if err != nil {
		return exitUsage, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	p := &printer{w: stdout}
	client := &http.Client{Timeout: o.timeout}

	p.section("issuer")
	p.line("issuer", o.issuer)
	if o.jwksURL == "" {
		md, err := discovery.Fetch(ctx, o.issuer, client)
		if err != nil {
			p.line("metadata", "FAIL: "+err.Error())
			return exitRefused, nil
		}
		o.jwksURL = md.JWKSURI
		p.line("metadata", "ok")
	}
	p.line("jwks_uri", o.jwksURL)
	keys, err := jwkscache.New(ctx, jwkscache.Config{URL: o.jwksURL, HTTPClient: client, AllowInsecureHTTP: o.insecure})
	if err != nil {
		return exitUsage, err
	}
	defer keys.Close()
	st := keys.Status()
	if !st.Available {
		p.line("key set", fmt.Sprintf("FAIL: %v", st.LastError))
	} else {
		p.line("key set", fmt.Sprintf("ok, kids %s", quoteAll(st.KIDs)))
	}
	v, err := verifier.New(ctx, verifier.Config{
		Issuer: o.issuer, Audience: o.audience, Keys: keys, AllowInsecureHTTP: o.insecure,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return exitUsage, err
	}
	defer v.Close()

	d := decode(token)
	p.token(d)
	_, verr := v.Verify(ctx, token)
	p.checks(walk(d, verr, o, st.KIDs))

	p.section("verdict")
	if verr == nil {
		p.line("verdict", "accepted")
	} else {
		p.line("verdict", "refused: "+verr.Error())
	}
	code, err := p.answer(v, token, o.scope)
	if err != nil {
		return exitUsage, err
	}
	if verr != nil || code != http.StatusOK {
		return exitRefused, nil
	}
	return exitAccepted, nil
}

// decoded is what the token shows without verification, for display.
type decoded struct {
	size, segments int
	header, claims map[string]any // nil if the part does not decode
	sigBytes       int
}

// decode splits the token and decodes its header and claims. It keeps no
// part of the signature but its length.
func decode(token string) decoded {
	parts := strings.Split(token, ".")
	d := decoded{size: len(token), segments: len(parts)}
	if len(parts) != 3 {
		return d
	}
	d.header, d.claims = object(parts[0]), object(parts[1])
	if sig, err := base64.RawURLEncoding.DecodeString(parts[2]); err == nil {
		d.sigBytes = len(sig)
	}
	return d
}

func object(seg string) map[string]any {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

// answer runs the request through the middleware itself, in memory, and
// prints the status and headers it would send.
func (p *printer) answer(v *verifier.JWT, token, scope string) (int, error) {
	var reqs []scopes.Requirement
	if fields := strings.Fields(scope); len(fields) > 0 {
		reqs = append(reqs, scopes.All(fields...))
	}
	g := &middleware.Guard{Logger: slog.New(slog.DiscardHandler)}
	var h http.Handler
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("-scope: %v", r)
			}
		}()
		h = g.Require(v, reqs...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
		return nil
	}()
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequest(http.MethodGet, "/", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	w := &memWriter{header: http.Header{}}
	h.ServeHTTP(w, req)
	p.section("HTTP answer of middleware.Require")
	p.line("status", fmt.Sprintf("%d %s", w.status, http.StatusText(w.status)))
	for _, name := range []string{"WWW-Authenticate", "Retry-After"} {
		if v := w.header.Get(name); v != "" {
			p.line(name, v)
		}
	}
	return w.status, nil
}

// memWriter is the http.ResponseWriter of answer.
type memWriter struct {
	header http.Header
	status int
}

func (w *memWriter) Header() http.Header { return w.header }
func (w *memWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *memWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil
}
