package jwkscache

import (
	"crypto"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// goodSet publishes one key of each supported type.
func goodSet(tb testing.TB) []jwk {
	tb.Helper()
	k := keys()
	return []jwk{
		rsaJWK("rsa", &k.rsaA.PublicKey),
		ecJWK(tb, "p256", &k.p256.PublicKey),
		ecJWK(tb, "p384", &k.p384.PublicKey),
		ecJWK(tb, "p521", &k.p521.PublicKey),
		edJWK("ed", k.ed.Public().(ed25519.PublicKey)),
	}
}

func TestKeyPerKeyType(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, goodSet(t)...), nil)
	tests := []struct {
		name   string
		method jwt.SigningMethod
		priv   crypto.Signer
		kid    string
	}{
		{"RS256 with RSA", jwt.SigningMethodRS256, k.rsaA, "rsa"},
		{"PS256 with RSA", jwt.SigningMethodPS256, k.rsaA, "rsa"},
		{"ES256 with P-256", jwt.SigningMethodES256, k.p256, "p256"},
		{"ES384 with P-384", jwt.SigningMethodES384, k.p384, "p384"},
		{"ES512 with P-521", jwt.SigningMethodES512, k.p521, "p521"},
		{"EdDSA with Ed25519", jwt.SigningMethodEdDSA, k.ed, "ed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.wantKey(t, tt.kid, tt.method.Alg(), tt.priv)
			if err := verify(t.Context(), h.c, signToken(t, tt.method, tt.priv, tt.kid)); err != nil {
				t.Errorf("Parse(signed token) error = %v, want nil", err)
			}
		})
	}
	h.wantHits(t, 1)
	if got, want := strings.Join(h.c.Status().KIDs, ","), "ed,p256,p384,p521,rsa"; got != want {
		t.Errorf("Status().KIDs = %s, want %s (sorted)", got, want)
	}
}

func TestKeyAlgMismatch(t *testing.T) {
	k := keys()
	set := append(goodSet(t), rsaJWK("rsa-rs512", &k.rsaB.PublicKey).with("alg", "RS512"))
	h := newHarness(t, jwksJSON(t, set...), nil)
	tests := []struct {
		name, kid, alg string
		want           error
	}{
		{"RSA key for ES256", "rsa", "ES256", ErrAlgMismatch},
		{"P-256 key for RS256", "p256", "RS256", ErrAlgMismatch},
		{"P-256 key for ES384 (curve downgrade)", "p256", "ES384", ErrAlgMismatch},
		{"P-384 key for ES256", "p384", "ES256", ErrAlgMismatch},
		{"Ed25519 key for ES256", "ed", "ES256", ErrAlgMismatch},
		{"RSA key for EdDSA", "rsa", "EdDSA", ErrAlgMismatch},
		{"JWK alg RS512 used for RS256 (RFC 7517 §4.4)", "rsa-rs512", "RS256", ErrAlgMismatch},
		{"HS256 keyed with the RSA public key (alg confusion)", "rsa", "HS256", ErrKeyNotFound},
		{"alg none", "rsa", "none", ErrKeyNotFound},
		{"empty alg", "rsa", "", ErrKeyNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.wantErr(t, tt.kid, tt.alg, tt.want)
			if errors.Is(tt.want, ErrAlgMismatch) && !strings.Contains(err.Error(), "mismatch") {
				t.Errorf("error %q does not say mismatch", err)
			}
			if errors.Is(err, ErrUnavailable) {
				t.Errorf("error %v also matches ErrUnavailable", err)
			}
		})
	}
	h.wantKey(t, "rsa-rs512", "RS512", k.rsaB)
	h.wantHits(t, 1) // a known kid with the wrong alg never refreshes
}

func TestUnusableKeysSkipped(t *testing.T) {
	k := keys()
	good := rsaJWK("good", &k.rsaA.PublicKey)
	bad := []struct {
		name string
		key  any
	}{
		{"encryption key (use enc)", rsaJWK("enc", &k.rsaB.PublicKey).with("use", "enc")},
		{"key_ops without verify", rsaJWK("ops", &k.rsaB.PublicKey).with("key_ops", []string{"encrypt"})},
		{"empty key_ops", rsaJWK("noops", &k.rsaB.PublicKey).with("key_ops", []string{})},
		{"symmetric oct key in a remote set (HMAC with public data)", jwk{"kty": "oct", "kid": "oct", "k": b64([]byte("0123456789abcdef0123456789abcdef"))}},
		{"RSA-1024 (too weak)", rsaJWK("rsa1024", &k.rsa1024.PublicKey)},
		{"published private key (compromised)", ecJWK(t, "priv", &k.p256.PublicKey).with("d", b64(k.p256.D.Bytes()))},
		{"X25519 is for key agreement", jwk{"kty": "OKP", "kid": "x25519", "crv": "X25519", "x": b64(make([]byte, 32))}},
		{"unknown kty", jwk{"kty": "XYZ", "kid": "xyz"}},
		{"bad base64 modulus", rsaJWK("b64", &k.rsaB.PublicKey).with("n", "!!!")},
		{"EC point not on curve", ecJWK(t, "offcurve", &k.p256.PublicKey).with("y", b64(make([]byte, 32)))},
		{"encryption alg", rsaJWK("oaep", &k.rsaB.PublicKey).with("alg", "RSA-OAEP")},
		{"alg that does not fit kty", rsaJWK("rsa-es", &k.rsaB.PublicKey).with("alg", "ES256")},
		{"kid of the wrong JSON type", rsaJWK("", &k.rsaB.PublicKey).with("kid", 42)},
		{"not an object", "just a string"},
		{"kid longer than 256 bytes", rsaJWK(strings.Repeat("k", 257), &k.rsaB.PublicKey)},
	}
	doc := []any{good}
	for _, b := range bad {
		doc = append(doc, b.key)
	}
	h := newHarness(t, mustJSON(t, map[string]any{"keys": doc}), nil)

	st := h.c.Status()
	if st.LastError != nil || len(st.KIDs) != 1 || st.KIDs[0] != "good" {
		t.Fatalf("Status() = KIDs %v, LastError %v; want [good], nil (RFC 7517 §5: skip unusable keys, keep the rest)", st.KIDs, st.LastError)
	}
	if len(st.Skipped) != min(len(bad), maxSkipReasons) {
		t.Errorf("Status().Skipped has %d reasons, want %d: %q", len(st.Skipped), len(bad), st.Skipped)
	}
	h.wantKey(t, "good", "RS256", k.rsaA)
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			if j, ok := b.key.(jwk); ok {
				if kid, ok := j["kid"].(string); ok {
					h.wantErr(t, kid, "RS256", ErrKeyNotFound)
					h.wantErr(t, kid, "ES256", ErrKeyNotFound)
				}
			}
		})
	}
	for _, reason := range st.Skipped {
		if strings.Contains(reason, b64(k.p256.D.Bytes())) {
			t.Errorf("skip reason %q quotes private key material", reason)
		}
	}
}

func TestNoKIDInToken(t *testing.T) {
	// A token without kid gets the one key without kid that fits its alg.
	// An issuer that names its keys names them in its tokens too, so a
	// token without kid never reaches a named key, and no key is guessed.
	k := keys()
	h := newHarness(t, jwksJSON(t,
		rsaJWK("a", &k.rsaA.PublicKey),
		rsaJWK("", &k.rsaB.PublicKey),
		ecJWK(t, "p256", &k.p256.PublicKey),
		edJWK("", k.ed.Public().(ed25519.PublicKey)),
	), nil)
	h.wantKey(t, "", "RS256", k.rsaB)
	h.wantKey(t, "", "EdDSA", k.ed)
	h.wantErr(t, "", "ES256", ErrKeyNotFound) // the only P-256 key has a kid
	h.wantErr(t, "", "ES384", ErrKeyNotFound)
	if err := verify(t.Context(), h.c, signToken(t, jwt.SigningMethodRS256, k.rsaB, "")); err != nil {
		t.Errorf("Parse(RS256 token without kid, one RSA key without kid) error = %v, want nil", err)
	}
	if err := verify(t.Context(), h.c, signToken(t, jwt.SigningMethodRS256, k.rsaA, "")); err == nil {
		t.Error("Parse(token without kid signed by the key named \"a\") error = nil: a named key was guessed")
	}
	if err := verify(t.Context(), h.c, signToken(t, jwt.SigningMethodES256, k.p256, "")); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("Parse(ES256 token without kid, only a named P-256 key) error = %v, want ErrKeyNotFound", err)
	}
	h.wantHits(t, 1)
}

func TestNoKIDTwoUnnamedKeysIsAmbiguous(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("", &k.rsaA.PublicKey), rsaJWK("", &k.rsaB.PublicKey)), nil)
	if err := verify(t.Context(), h.c, signToken(t, jwt.SigningMethodRS256, k.rsaA, "")); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("Parse(RS256 token without kid, two RSA keys without kid) error = %v, want ErrKeyNotFound (never try every key)", err)
	}
}

func TestKeyfuncHeader(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)), nil)
	kf := h.c.Keyfunc(t.Context())
	tests := []struct {
		name   string
		header map[string]any
		want   error
	}{
		{"kid is a number", map[string]any{"alg": "RS256", "kid": 42}, ErrKeyNotFound},
		{"kid is an object", map[string]any{"alg": "RS256", "kid": map[string]any{"a": 1}}, ErrKeyNotFound},
		{"alg missing", map[string]any{"kid": "a"}, ErrKeyNotFound},
		{"alg not a string", map[string]any{"alg": 1, "kid": "a"}, ErrKeyNotFound},
		{"kid and alg fine", map[string]any{"alg": "RS256", "kid": "a"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := kf(&jwt.Token{Header: tt.header})
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Keyfunc(%v) error = %v, want %v", tt.header, err, tt.want)
			}
		})
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"sub": "x"})
	tok.Header["kid"] = 7
	s, err := tok.SignedString(k.rsaA)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(t.Context(), h.c, s); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("Parse(token with numeric kid) error = %v, want ErrKeyNotFound", err)
	}
}

func TestLongKIDRefusedWithoutFetch(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey)), nil)
	h.clock.Advance(defaultUnknownKIDCooldown) // a fetch would be allowed
	long := strings.Repeat("x", maxKIDLen+1)
	for range 3 {
		h.wantErr(t, long, "RS256", ErrKeyNotFound)
	}
	h.wantHits(t, 1)
	h.noFetchPending(t)
}

func TestMaxKeysKeepsFirstUsable(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t,
		rsaJWK("weak", &k.rsa1024.PublicKey), // skipped: does not count
		rsaJWK("a", &k.rsaA.PublicKey),
		rsaJWK("b", &k.rsaB.PublicKey),
		ecJWK(t, "c", &k.p256.PublicKey),
	), func(c *Config) { c.MaxKeys = 2 })
	st := h.c.Status()
	if got := strings.Join(st.KIDs, ","); got != "a,b" {
		t.Errorf("Status().KIDs = %s, want a,b (first MaxKeys usable keys)", got)
	}
	if n := len(st.Skipped); n != 2 || !strings.Contains(st.Skipped[1], "MaxKeys") {
		t.Errorf("Status().Skipped = %q, want the weak key and a MaxKeys note", st.Skipped)
	}
}
