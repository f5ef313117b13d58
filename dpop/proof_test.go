package dpop_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/dpop"
	"github.com/tokengate/tokengate/internal/binding"
	"github.com/tokengate/tokengate/internal/dpoptest"
)

const (
	apiURL = "https://api.example.test/orders/1"
	token  = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"
)

// epoch is the fake clock's start; no test reads the wall clock.
var epoch = time.Unix(1_700_000_000, 0)

// clock is a fake clock a test moves by hand.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func newChecker(t testing.TB, cfg dpop.Config) (*dpop.Checker, *clock) {
	t.Helper()
	clk := &clock{t: epoch}
	if cfg.Now == nil {
		cfg.Now = clk.Now
	}
	c, err := dpop.New(cfg)
	if err != nil {
		t.Fatalf("dpop.New() error = %v", err)
	}
	return c, clk
}

// request is the request every proof below is made for.
func request(proofs ...string) tokengate.DPoPRequest {
	return tokengate.DPoPRequest{Proofs: proofs, Method: "GET", URL: apiURL, AccessToken: token}
}

// good is a proof for request() by key, changed by p's overrides.
func good(key *dpoptest.Key, p dpoptest.Proof) string {
	if p.Method == "" {
		p.Method = "GET"
	}
	if p.URL == "" {
		p.URL = apiURL
	}
	if p.Token == "" {
		p.Token = token
	}
	if p.IAT.IsZero() {
		p.IAT = epoch
	}
	return key.Sign(p)
}

func TestCheckProofAcceptsEveryAlgorithm(t *testing.T) {
	for _, alg := range []string{"ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			c, _ := newChecker(t, dpop.Config{})
			key := dpoptest.NewKey(alg)
			p, err := c.CheckProof(t.Context(), request(good(key, dpoptest.Proof{})))
			if err != nil {
				t.Fatalf("CheckProof() error = %v, want nil", err)
			}
			if p.JKT != key.JKT() {
				t.Errorf("CheckProof().JKT = %q, want the RFC 7638 thumbprint %q", p.JKT, key.JKT())
			}
			if want := epoch.Add(dpop.DefaultMaxAge + 30*time.Second); !p.Until.Equal(want) {
				t.Errorf("CheckProof().Until = %v, want iat + MaxAge + Leeway = %v", p.Until, want)
			}
		})
	}
}

// TestProofAttacks has one row per attack on a proof (RFC 9449 §4.3,
// §11); each must be refused with the check it fails.
func TestProofAttacks(t *testing.T) {
	key, other := dpoptest.NewKey("ES256"), dpoptest.NewKey("ES256")
	rsaSmall := &dpoptest.Key{Alg: "RS256", JWK: map[string]any{"kty": "RSA", "n": strings.Repeat("w", 171), "e": "AQAB"}} // 1024 bits
	withPrivate := map[string]any{"d": "c2VjcmV0"}
	for k, v := range key.JWK {
		withPrivate[k] = v
	}
	tests := []struct {
		name  string
		req   tokengate.DPoPRequest
		want  error
		clock time.Duration // moves the clock before the check
	}{
		{"no proof with the DPoP scheme", request(), binding.ErrProofMissing, 0},
		{"two proofs", request(good(key, dpoptest.Proof{}), good(key, dpoptest.Proof{})), binding.ErrProofMultiple, 0},
		{"alg none", request(unsigned(key, "none")), binding.ErrProofAlgorithm, 0},
		{"alg HS256 keyed with the public key", request(good(key, dpoptest.Proof{Header: map[string]any{"alg": "HS256"}})), binding.ErrProofAlgorithm, 0},
		{"private key in jwk", request(good(key, dpoptest.Proof{Header: map[string]any{"jwk": withPrivate}})), binding.ErrProofKey, 0},
		{"symmetric jwk", request(good(key, dpoptest.Proof{Header: map[string]any{"jwk": map[string]any{"kty": "oct", "k": "c2VjcmV0"}}})), binding.ErrProofKey, 0},
		{"jwk of an unsupported curve", request(good(key, dpoptest.Proof{Header: map[string]any{"jwk": map[string]any{"kty": "EC", "crv": "secp256k1", "x": key.JWK["x"], "y": key.JWK["y"]}}})), binding.ErrProofKey, 0},
		{"jwk of an unsupported OKP curve", request(good(key, dpoptest.Proof{Header: map[string]any{"jwk": map[string]any{"kty": "OKP", "crv": "X25519", "x": key.JWK["x"]}}})), binding.ErrProofKey, 0},
		{"jwk of an unknown type", request(good(key, dpoptest.Proof{Header: map[string]any{"jwk": map[string]any{"kty": "PQC", "x": key.JWK["x"]}}})), binding.ErrProofKey, 0},
		{"RSA jwk under 2048 bits", request(jws(map[string]any{"typ": "dpop+jwt", "alg": "RS256", "jwk": rsaSmall.JWK}, map[string]any{}, "c2ln")), binding.ErrProofKey, 0},
		{"jwk of another kind than alg", request(good(key, dpoptest.Proof{Header: map[string]any{"alg": "ES384"}})), binding.ErrProofKey, 0},
		{"jwk not a point on the curve", request(good(key, dpoptest.Proof{Header: map[string]any{"jwk": map[string]any{"kty": "EC", "crv": "P-256", "x": key.JWK["x"], "y": key.JWK["x"]}}})), binding.ErrProofKey, 0},
		{"no jwk", request(good(key, dpoptest.Proof{Header: map[string]any{"jwk": nil}})), binding.ErrProofMalformed, 0},
		{"jwk of another key than the signer's", request(good(key, dpoptest.Proof{Header: map[string]any{"jwk": other.JWK}})), binding.ErrProofSignature, 0},
		{"tampered claims", request(tamper(good(key, dpoptest.Proof{}))), binding.ErrProofSignature, 0},
		{"typ JWT", request(good(key, dpoptest.Proof{Header: map[string]any{"typ": "JWT"}})), binding.ErrProofMalformed, 0},
		{"no typ", request(good(key, dpoptest.Proof{Header: map[string]any{"typ": nil}})), binding.ErrProofMalformed, 0},
		{"access token as proof", request(token), binding.ErrProofMalformed, 0},
		{"crit header", request(good(key, dpoptest.Proof{Header: map[string]any{"crit": []string{"exp"}}})), binding.ErrProofMalformed, 0},
		{"wrong htm", request(good(key, dpoptest.Proof{Method: "POST"})), binding.ErrProofMethod, 0},
		{"htm in lower case", request(good(key, dpoptest.Proof{Method: "get"})), binding.ErrProofMethod, 0},
		{"htu with query", request(good(key, dpoptest.Proof{URL: apiURL + "?a=1"})), binding.ErrProofURL, 0},
		{"htu with fragment", request(good(key, dpoptest.Proof{URL: apiURL + "#x"})), binding.ErrProofURL, 0},
		{"htu of another host", request(good(key, dpoptest.Proof{URL: "https://evil.example.test/orders/1"})), binding.ErrProofURL, 0},
		{"htu of another path", request(good(key, dpoptest.Proof{URL: "https://api.example.test/orders/2"})), binding.ErrProofURL, 0},
		{"htu over http", request(good(key, dpoptest.Proof{URL: "http://api.example.test/orders/1"})), binding.ErrProofURL, 0},
		{"iat too old", request(good(key, dpoptest.Proof{})), binding.ErrProofTime, dpop.DefaultMaxAge + 31*time.Second},
		{"iat in the future", request(good(key, dpoptest.Proof{})), binding.ErrProofTime, -31 * time.Second},
		{"iat a string", request(good(key, dpoptest.Proof{Claims: map[string]any{"iat": "1700000000"}})), binding.ErrProofMalformed, 0},
		{"no jti", request(good(key, dpoptest.Proof{Claims: map[string]any{"jti": nil}})), binding.ErrProofMalformed, 0},
		{"no htu", request(good(key, dpoptest.Proof{Claims: map[string]any{"htu": nil}})), binding.ErrProofMalformed, 0},
		{"missing ath", request(good(key, dpoptest.Proof{Claims: map[string]any{"ath": nil}})), binding.ErrProofTokenHash, 0},
		{"ath of another token", request(good(key, dpoptest.Proof{Token: "another-token"})), binding.ErrProofTokenHash, 0},
		{"proof 100 KB long", request(good(key, dpoptest.Proof{Claims: map[string]any{"pad": strings.Repeat("A", 100<<10)}})), binding.ErrProofTooLarge, 0},
		{"duplicate claim", request(duplicateHTM(key)), binding.ErrProofMalformed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, clk := newChecker(t, dpop.Config{})
			clk.Advance(tt.clock)
			_, err := c.CheckProof(t.Context(), tt.req)
			if !errors.Is(err, tt.want) || !errors.Is(err, tokengate.ErrInvalidDPoPProof) {
				t.Fatalf("CheckProof() error = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("CheckProof() error %q contains the access token", err)
			}
		})
	}
}

func TestProofWithinTheWindowIsAccepted(t *testing.T) {
	key := dpoptest.NewKey("ES256")
	for _, d := range []time.Duration{-30 * time.Second, 0, dpop.DefaultMaxAge + 30*time.Second} {
		c, clk := newChecker(t, dpop.Config{})
		clk.Advance(d)
		if _, err := c.CheckProof(t.Context(), request(good(key, dpoptest.Proof{}))); err != nil {
			t.Errorf("CheckProof() %v after iat error = %v, want nil", d, err)
		}
	}
}

// TestHTUNormalization: RFC 9449 §4.3 compares htu after RFC 3986
// §6.2.2-6.2.3 normalization.
func TestHTUNormalization(t *testing.T) {
	key := dpoptest.NewKey("ES256")
	c, _ := newChecker(t, dpop.Config{})
	for _, htu := range []string{"HTTPS://API.example.test/orders/1", "https://api.example.test:443/orders/1"} {
		if _, err := c.CheckProof(t.Context(), request(good(key, dpoptest.Proof{URL: htu}))); err != nil {
			t.Errorf("CheckProof(htu %q) error = %v, want nil", htu, err)
		}
	}
}

func TestReplayedProofIsRefused(t *testing.T) {
	key := dpoptest.NewKey("ES256")
	c, _ := newChecker(t, dpop.Config{})
	req := request(good(key, dpoptest.Proof{}))
	for i, want := range []error{nil, binding.ErrProofReplayed} {
		p, err := c.CheckProof(t.Context(), req)
		if err != nil {
			t.Fatalf("CheckProof() error = %v", err)
		}
		if err := c.UseProof(t.Context(), p); !errors.Is(err, want) {
			t.Fatalf("UseProof() #%d error = %v, want %v", i+1, err, want)
		}
	}
}

// TestReplayScopedToKey: one client's jti cannot spend another's.
func TestReplayScopedToKey(t *testing.T) {
	c, _ := newChecker(t, dpop.Config{})
	for _, key := range []*dpoptest.Key{dpoptest.NewKey("ES256"), dpoptest.NewKey("ES256")} {
		p, err := c.CheckProof(t.Context(), request(good(key, dpoptest.Proof{JTI: "same"})))
		if err != nil {
			t.Fatalf("CheckProof() error = %v", err)
		}
		if err := c.UseProof(t.Context(), p); err != nil {
			t.Errorf("UseProof() error = %v, want nil for another key's jti", err)
		}
	}
}

func TestNonces(t *testing.T) {
	key := dpoptest.NewKey("ES256")
	c, clk := newChecker(t, dpop.Config{RequireNonce: true})
	other, _ := newChecker(t, dpop.Config{RequireNonce: true})
	nonce := c.Nonce()
	if nonce == "" || nonce != c.Nonce() {
		t.Fatalf("Nonce() = %q then %q, want one nonce per window", nonce, c.Nonce())
	}
	tests := []struct {
		name    string
		nonce   string
		advance time.Duration
		want    error
	}{
		{"no nonce (RFC 9449 §9)", "", 0, tokengate.ErrUseDPoPNonce},
		{"the current nonce", nonce, 0, nil},
		{"another server's nonce", other.Nonce(), 0, tokengate.ErrUseDPoPNonce},
		{"a made-up nonce", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0, tokengate.ErrUseDPoPNonce},
		{"the previous window's nonce", nonce, dpop.DefaultNonceLifetime, nil},
		{"a stale nonce", nonce, dpop.DefaultNonceLifetime, tokengate.ErrUseDPoPNonce},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Advance(tt.advance)
			_, err := c.CheckProof(t.Context(), request(good(key, dpoptest.Proof{Nonce: tt.nonce, IAT: clk.Now()})))
			if !errors.Is(err, tt.want) || (err != nil) != (tt.want != nil) {
				t.Fatalf("CheckProof() error = %v, want %v", err, tt.want)
			}
		})
	}
	if c.Nonce() == nonce {
		t.Errorf("Nonce() after two lifetimes = the first nonce, want a new one")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  dpop.Config
		want string
	}{
		{"alg none", dpop.Config{Algorithms: []string{"none"}}, "Config.Algorithms"},
		{"HMAC", dpop.Config{Algorithms: []string{"HS256"}}, "Config.Algorithms"},
		{"MaxAge too long", dpop.Config{MaxAge: time.Hour}, "Config.MaxAge"},
		{"negative leeway", dpop.Config{Leeway: -2 * time.Second}, "Config.Leeway"},
		{"short nonce key", dpop.Config{RequireNonce: true, NonceKey: []byte("short")}, "Config.NonceKey"},
		{"nonce key without nonces", dpop.Config{NonceKey: make([]byte, 32)}, "Config.RequireNonce"},
		{"negative proof cap", dpop.Config{MaxProofBytes: -1}, "Config.MaxProofBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dpop.New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New() error = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestAlgorithmsIsACopy(t *testing.T) {
	c, _ := newChecker(t, dpop.Config{Algorithms: []string{"ES256"}})
	c.Algorithms()[0] = "none"
	if got := c.Algorithms(); len(got) != 1 || got[0] != "ES256" {
		t.Errorf("Algorithms() = %q after a caller changed its copy, want [ES256]", got)
	}
}

// unsigned is a proof with alg and no signature.
func unsigned(key *dpoptest.Key, alg string) string {
	return jws(map[string]any{"typ": "dpop+jwt", "alg": alg, "jwk": key.JWK},
		map[string]any{"jti": "x", "htm": "GET", "htu": apiURL, "iat": epoch.Unix(), "ath": dpoptest.TokenHash(token)}, "")
}

// jws encodes header and claims with the signature segment sig.
func jws(header, claims map[string]any, sig string) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	return b64(string(h)) + "." + b64(string(c)) + "." + sig
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// tamper changes the claims of a signed proof and keeps its signature.
func tamper(proof string) string {
	parts := strings.Split(proof, ".")
	parts[1] = b64(`{"jti":"x","htm":"GET","htu":"` + apiURL + `","iat":1700000000,"ath":"` + dpoptest.TokenHash(token) + `"}`)
	return strings.Join(parts, ".")
}

// duplicateHTM is a signed proof whose claims name htm twice: POST, then
// GET, which a last-wins parser would read as this request's.
func duplicateHTM(key *dpoptest.Key) string {
	h, _ := json.Marshal(map[string]any{"typ": "dpop+jwt", "alg": key.Alg, "jwk": key.JWK})
	return key.SignRaw(string(h), `{"htm":"POST","jti":"x","htm":"GET","htu":"`+apiURL+`","iat":1700000000,"ath":"`+dpoptest.TokenHash(token)+`"}`)
}
