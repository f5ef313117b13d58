package bench

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/auth0/go-jwt-middleware/v2/jwks"
	"github.com/auth0/go-jwt-middleware/v2/validator"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwk"
	jwxjwt "github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/tokengate/tokengate/verifier"
)

// verifyFunc checks a token the way one library does. A nil error means
// the token was accepted and its scope and client_id were read, as every
// resource server needs them.
type verifyFunc func(ctx context.Context, token string) error

// impl is one verifier compared. Each is configured for the same checks:
// signature with the key the token's "kid" names from the fixture's JWKS
// URL (fetched once, then cached by the library), "alg" in an
// allow-list, "iss", "aud" and "exp" (required where the library can
// require it).
type impl struct {
	name string
	// new builds the verifier for tokens of alg, fetching the key set
	// before it returns. It is closed by tb's cleanup.
	new func(tb testing.TB, f *fixture, alg string) verifyFunc
}

var impls = []impl{
	{"tokengate", newTokengate},
	{"golang-jwt+keyfunc", newGolangJWT},
	{"auth0", newAuth0},
	{"go-oidc", newGoOIDC},
	{"jwx", newJWX},
}

var errNoScope = errors.New("bench: accepted token has no scope")

// newTokengateJWT is the verifier.JWT of every tokengate benchmark, with
// its defaults (a token cache of 10,000 entries) or a cache of cacheSize
// entries (negative: none).
func newTokengateJWT(tb testing.TB, f *fixture, cacheSize ...int) *verifier.JWT {
	tb.Helper()
	cfg := verifier.Config{
		Issuer:     f.issuer,
		Audience:   audience,
		JWKSURL:    f.jwksURL,
		Algorithms: algs,
		Now:        f.clock,
	}
	if len(cacheSize) > 0 {
		cfg.TokenCacheSize = cacheSize[0]
	}
	v, err := verifier.New(tb.Context(), cfg)
	if err != nil {
		tb.Fatalf("verifier.New: %v", err)
	}
	tb.Cleanup(func() { _ = v.Close() })
	return v
}

// newTokengate is tokengate as BenchmarkVerify measures it: see
// newFreshTokengateJWT.
func newTokengate(tb testing.TB, f *fixture, alg string) verifyFunc {
	return tokengateFunc(newFreshTokengateJWT(tb, f, alg))
}

// newFreshTokengateJWT returns a verifier with a token cache of freshCache
// entries, full of filler tokens of alg, each verified twice (see
// freshPool), so that the fresh pool's tokens are checked in full.
func newFreshTokengateJWT(tb testing.TB, f *fixture, alg string) *verifier.JWT {
	tb.Helper()
	v := newTokengateJWT(tb, f, freshCache)
	f.pool(alg)
	for _, tok := range f.fillers[alg] {
		for range 2 {
			if _, err := v.Verify(tb.Context(), tok); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return v
}

func tokengateFunc(v *verifier.JWT) verifyFunc {
	return func(ctx context.Context, token string) error {
		c, err := v.Verify(ctx, token)
		if err != nil {
			return err
		}
		if len(c.Scopes) == 0 || c.ClientID == "" {
			return errNoScope
		}
		return nil
	}
}

// jwtClaims is what a golang-jwt user decodes an access token into.
type jwtClaims struct {
	jwt.RegisteredClaims
	Scope    string `json:"scope"`
	ClientID string `json:"client_id"`
}

func newGolangJWT(tb testing.TB, f *fixture, _ string) verifyFunc {
	tb.Helper()
	k, err := keyfunc.NewDefaultCtx(tb.Context(), []string{f.jwksURL})
	if err != nil {
		tb.Fatalf("keyfunc.NewDefaultCtx: %v", err)
	}
	p := jwt.NewParser(
		jwt.WithValidMethods(algs),
		jwt.WithIssuer(f.issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(f.clock),
	)
	return func(_ context.Context, token string) error {
		var c jwtClaims
		if _, err := p.ParseWithClaims(token, &c, k.Keyfunc); err != nil {
			return err
		}
		if c.Scope == "" || c.ClientID == "" {
			return errNoScope
		}
		return nil
	}
}

// auth0Claims are the custom claims an auth0 validator user adds to read
// the scope.
type auth0Claims struct {
	Scope    string `json:"scope"`
	ClientID string `json:"client_id"`
}

func (*auth0Claims) Validate(context.Context) error { return nil }

// newAuth0Validator returns auth0's validator for tokens of alg: it takes
// exactly one algorithm. It reads time.Now and cannot require "exp".
func newAuth0Validator(tb testing.TB, f *fixture, alg string) *validator.Validator {
	tb.Helper()
	issuer, err := url.Parse(f.issuer)
	if err != nil {
		tb.Fatal(err)
	}
	jwksURL, err := url.Parse(f.jwksURL)
	if err != nil {
		tb.Fatal(err)
	}
	keys := jwks.NewCachingProvider(issuer, 5*time.Minute, jwks.WithCustomJWKSURI(jwksURL))
	v, err := validator.New(keys.KeyFunc, validator.SignatureAlgorithm(alg), f.issuer, []string{audience},
		validator.WithCustomClaims(func() validator.CustomClaims { return &auth0Claims{} }))
	if err != nil {
		tb.Fatalf("validator.New: %v", err)
	}
	return v
}

func newAuth0(tb testing.TB, f *fixture, alg string) verifyFunc {
	v := newAuth0Validator(tb, f, alg)
	return func(ctx context.Context, token string) error {
		got, err := v.ValidateToken(ctx, token)
		if err != nil {
			return err
		}
		return auth0Scope(got)
	}
}

// auth0Scope checks that validated claims carry a scope and a client_id.
func auth0Scope(validated any) error {
	vc, ok := validated.(*validator.ValidatedClaims)
	if !ok {
		return errNoScope
	}
	c, ok := vc.CustomClaims.(*auth0Claims)
	if !ok || c.Scope == "" || c.ClientID == "" {
		return errNoScope
	}
	return nil
}

func newGoOIDC(tb testing.TB, f *fixture, _ string) verifyFunc {
	keys := oidc.NewRemoteKeySet(tb.Context(), f.jwksURL)
	v := oidc.NewVerifier(f.issuer, keys, &oidc.Config{
		ClientID:             audience,
		SupportedSigningAlgs: algs,
		Now:                  f.clock,
	})
	return func(ctx context.Context, token string) error {
		t, err := v.Verify(ctx, token)
		if err != nil {
			return err
		}
		var c auth0Claims
		if err := t.Claims(&c); err != nil {
			return err
		}
		if c.Scope == "" || c.ClientID == "" {
			return errNoScope
		}
		return nil
	}
}

func newJWX(tb testing.TB, f *fixture, _ string) verifyFunc {
	tb.Helper()
	ctx := tb.Context()
	cache, err := jwk.NewCache(ctx, httprc.NewClient())
	if err != nil {
		tb.Fatalf("jwk.NewCache: %v", err)
	}
	tb.Cleanup(func() { _ = cache.Shutdown(context.Background()) })
	if err := cache.Register(ctx, f.jwksURL); err != nil {
		tb.Fatalf("jwk.Cache.Register: %v", err)
	}
	set, err := cache.CachedSet(f.jwksURL)
	if err != nil {
		tb.Fatalf("jwk.Cache.CachedSet: %v", err)
	}
	opts := []jwxjwt.ParseOption{
		jwxjwt.WithKeySet(set), // each key's "alg" is the only one it verifies
		jwxjwt.WithValidate(true),
		jwxjwt.WithIssuer(f.issuer),
		jwxjwt.WithAudience(audience),
		jwxjwt.WithRequiredClaim("exp"),
		jwxjwt.WithClock(jwxjwt.ClockFunc(f.clock)),
	}
	return func(_ context.Context, token string) error {
		t, err := jwxjwt.ParseString(token, opts...)
		if err != nil {
			return err
		}
		var scope, client string
		if err := t.Get("scope", &scope); err != nil {
			return err
		}
		if err := t.Get("client_id", &client); err != nil {
			return err
		}
		if scope == "" || client == "" {
			return errNoScope
		}
		return nil
	}
}
