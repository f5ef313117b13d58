package verifier

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate/internal/claimset"
)

// Verification does its own JWS compact-serialization parsing (RFC 7515
// §7.1) and uses golang-jwt for the signature check itself. golang-jwt's
// parser decodes every header into a map and the payload twice, which a
// profile showed costs more than all the claim checks together; the header
// of tokens from one issuer and key is also the same every time, so its
// decoding is cached below.

// methods maps each algorithm tokengate allows to golang-jwt's
// implementation, fixed here rather than read from golang-jwt's global,
// mutable registry.
var methods = map[string]jwt.SigningMethod{
	"RS256": jwt.SigningMethodRS256, "RS384": jwt.SigningMethodRS384, "RS512": jwt.SigningMethodRS512,
	"PS256": jwt.SigningMethodPS256, "PS384": jwt.SigningMethodPS384, "PS512": jwt.SigningMethodPS512,
	"ES256": jwt.SigningMethodES256, "ES384": jwt.SigningMethodES384, "ES512": jwt.SigningMethodES512,
	"EdDSA": jwt.SigningMethodEdDSA, "Ed25519": jwt.SigningMethodEdDSA, // RFC 9864 §2
	"HS256": jwt.SigningMethodHS256, "HS384": jwt.SigningMethodHS384, "HS512": jwt.SigningMethodHS512,
}

// header is a decoded and checked JOSE header.
type header struct {
	alg         string
	method      jwt.SigningMethod
	kid         string
	accessTyped bool // typ at+jwt
}

// split cuts a compact JWS into its three segments; anything but exactly
// three (a JWE has five) is malformed.
func split(token string) (head, payload, sig string, ok bool) {
	head, rest, ok1 := strings.Cut(token, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.IndexByte(sig, '.') >= 0 {
		return "", "", "", false
	}
	return head, payload, sig, true
}

// parseHeader decodes and checks the header segment: "alg" allowed, "kid"
// a string if present, no "crit", and the "typ" policy.
func (v *JWT) parseHeader(seg string) (*header, error) {
	raw, ok := decodeSegment(seg)
	if !ok {
		return nil, errorf(ErrMalformedToken, jwt.ErrTokenMalformed, "header is not canonical base64url (RFC 7515 §2)")
	}
	var alg, kid, typ string
	var crit, kidPresent, typPresent bool
	err := claimset.Members(raw, func(name, value string) error {
		switch name {
		case "alg":
			alg = value
		case "kid":
			kid, kidPresent = value, true
		case "typ":
			typ, typPresent = value, true
		case "crit":
			crit = true
		}
		return nil
	})
	if err != nil {
		return nil, errorf(ErrMalformedToken, jwt.ErrTokenMalformed, "header is not a JSON object")
	}
	return v.checkHeader(alg, kid, typ, kidPresent, typPresent, crit)
}

func (v *JWT) checkHeader(rawAlg, rawKid, rawTyp string, kidPresent, typPresent, crit bool) (*header, error) {
	h := &header{}
	alg, err := claimset.String("alg", rawAlg)
	if err != nil || alg == "" {
		return nil, errorf(ErrMalformedToken, jwt.ErrTokenUnverifiable, "header \"alg\" missing or not a string")
	}
	if h.method = v.allowed[alg]; h.method == nil {
		// RFC 8725 §3.1: only allow-listed algorithms, never "none".
		return nil, errorf(ErrAlgorithmNotAllowed, jwt.ErrTokenSignatureInvalid, "header \"alg\" is %s, want one of %s", quote(alg), strings.Join(v.cfg.Algorithms, ", "))
	}
	h.alg = alg
	if crit {
		return nil, errorf(ErrInvalidToken, nil, "header \"crit\" names extensions this verifier does not understand (RFC 7515 §4.1.11)")
	}
	if kidPresent {
		if rawKid[0] != '"' {
			return nil, errorf(ErrInvalidToken, nil, "header \"kid\" is not a string")
		}
		if h.kid, err = claimset.String("kid", rawKid); err != nil {
			return nil, errorf(ErrInvalidToken, jwt.ErrTokenMalformed, "header \"kid\" is malformed")
		}
	}
	var typ string
	if typPresent {
		if rawTyp[0] != '"' {
			return nil, errorf(ErrInvalidToken, nil, "header \"typ\" is not a string")
		}
		typ, _ = claimset.String("typ", rawTyp)
	}
	if h.accessTyped, err = checkType(typ, v.cfg.RequireAccessTokenType); err != nil {
		return nil, err
	}
	return h, nil
}

// headerCache remembers the headers of tokens whose signature verified, so
// that the next token of the same issuer and key skips their decoding. Only
// verified headers enter, so a flood of forged tokens cannot fill it; it is
// emptied when full. Lookups take no lock: the map is never changed once
// published, and an insert, rare (a new key or header shape), publishes a
// copy with the header added, under mu; a copy holds at most
// headerCacheSize entries.
type headerCache struct {
	m  atomic.Pointer[map[string]*header] // header segment => decoded header
	mu sync.Mutex                         // serializes puts
}

const headerCacheSize = 64

func (c *headerCache) get(seg string) *header {
	if m := c.m.Load(); m != nil {
		return (*m)[seg]
	}
	return nil
}

func (c *headerCache) put(seg string, h *header) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := make(map[string]*header, headerCacheSize)
	if old := c.m.Load(); old != nil && len(*old) < headerCacheSize {
		for k, v := range *old {
			next[k] = v
		}
	}
	next[strings.Clone(seg)] = h
	c.m.Store(&next)
}
