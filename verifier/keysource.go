package verifier

import (
	"context"
	"errors"

	"github.com/golang-jwt/jwt/v5"
)

// KeySource finds the public key that verifies a token whose JOSE header
// names kid and alg: an *rsa.PublicKey, *ecdsa.PublicKey or
// ed25519.PublicKey. It is the one seam between the verifier and where
// keys come from, as go-oidc's KeySet is:
//
//   - *jwkscache.Cache, the default: the issuer's JWKS, fetched, cached
//     and refreshed;
//   - *jwkscache.Set: keys in hand, from a JWK Set document
//     (jwkscache.ParseSet) or from public keys and PEM (jwkscache.NewSet,
//     jwkscache.PublicKeyFromPEM);
//   - [KeyfuncSource]: a golang-jwt Keyfunc a service already holds, such
//     as one from github.com/MicahParks/keyfunc/v3.
//
// kid is "" for a token without one. An error wrapping [ErrUnavailable] or
// jwkscache.ErrUnavailable means the key could not be looked for now (the
// token gets 503); any other error means the token names no usable key
// (401). The verifier asks a source only for the algorithms its allow-list
// admits, and never for an HMAC one: HMAC keys come from
// Config.HMACSecret alone.
type KeySource interface {
	Key(ctx context.Context, kid, alg string) (any, error)
}

// KeyfuncSource adapts a golang-jwt Keyfunc to a [KeySource]. The Keyfunc
// sees a token whose Header holds only "alg" and "kid" (when the token has
// one) and whose Method is golang-jwt's for alg; it must pick the key by
// them alone, as keyfunc/v3's does. Its errors count as the token's fault
// (401): a Keyfunc cannot say that its keys are unavailable, except by
// wrapping [ErrUnavailable].
//
// Prefer the default cache where you can: keyfunc/v3's refresh policy can
// make a request wait on a rate limiter, and replaces good keys with an
// empty set (see package jwkscache).
func KeyfuncSource(kf jwt.Keyfunc) KeySource {
	return keyfuncSource{kf: kf}
}

type keyfuncSource struct{ kf jwt.Keyfunc }

func (s keyfuncSource) Key(_ context.Context, kid, alg string) (any, error) {
	m := methods[alg]
	if m == nil {
		return nil, errors.New("verifier: KeyfuncSource: unsupported alg")
	}
	h := map[string]any{"alg": alg}
	if kid != "" {
		h["kid"] = kid
	}
	return s.kf(&jwt.Token{Header: h, Method: m})
}

// hmacSource serves Config.HMACSecret for the HMAC algorithms and asks next,
// if any, for every other one: the secret never reaches an asymmetric
// algorithm's check, and no key from next (a remote set) ever keys an HMAC.
type hmacSource struct {
	secret []byte
	next   KeySource // nil when only HMAC algorithms are allowed
}

func (s hmacSource) Key(ctx context.Context, kid, alg string) (any, error) {
	switch {
	case hmacAlgorithms[alg]:
		return s.secret, nil
	case s.next == nil:
		return nil, errors.New("verifier: only HMAC algorithms are configured, and no key source")
	}
	return s.next.Key(ctx, kid, alg)
}
