package issuertest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DPoP at the token endpoint (RFC 9449 §5): a token request with a DPoP
// proof gets an access token bound to the proof's key, "cnf"."jkt" its
// RFC 7638 thumbprint, and token_type DPoP; a public client's refresh
// token is bound to the key too, so only that key can refresh it. The
// proof checks below are this package's own, written apart from
// tokengate's dpop package, so that tests of one against the other catch
// real bugs.

// DPoPAlgorithms are the proof algorithms the token endpoint accepts, as
// dpop_signing_alg_values_supported advertises (RFC 9449 §5.1).
func DPoPAlgorithms() []string { return []string{"ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA"} }

// dpopWindow is how far a proof's iat may be from now at the token
// endpoint, either way.
const dpopWindow = time.Minute

// maxProofBytes bounds a proof read at the token endpoint.
const maxProofBytes = 8192

// proofSeen remembers the proofs used at the token endpoint for the
// window, bounded: when full, a proof is refused rather than forgotten.
type proofSeen struct {
	mu   sync.Mutex // guards seen
	seen map[string]time.Time
}

const maxProofsSeen = 10000

func (p *proofSeen) use(key string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen == nil {
		p.seen = map[string]time.Time{}
	}
	for k, until := range p.seen {
		if now.After(until) {
			delete(p.seen, k)
		}
	}
	if _, dup := p.seen[key]; dup || len(p.seen) >= maxProofsSeen {
		return false
	}
	p.seen[key] = now.Add(2 * dpopWindow)
	return true
}

// binding is what a token request proved it holds: the thumbprint of its
// DPoP key, of its TLS client certificate, or neither.
type binding struct {
	jkt, x5t string
}

// cnf is the confirmation claim of tokens issued under b (RFC 7800 §3.1),
// nil for an unbound token.
func (b binding) cnf() map[string]any {
	if b.jkt == "" && b.x5t == "" {
		return nil
	}
	cnf := map[string]any{}
	if b.jkt != "" {
		cnf["jkt"] = b.jkt
	}
	if b.x5t != "" {
		cnf["x5t#S256"] = b.x5t
	}
	return map[string]any{"cnf": cnf}
}

// tokenType is the token_type of a token response (RFC 9449 §5).
func (b binding) tokenType() string {
	if b.jkt != "" {
		return "DPoP"
	}
	return "Bearer"
}

// requestBinding checks the DPoP proof of a token request, if any, and
// reads its client certificate (RFC 8705 §3).
func (s *Server) requestBinding(r *http.Request) (binding, *oauthError) {
	var b binding
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		sum := sha256.Sum256(r.TLS.PeerCertificates[0].Raw)
		b.x5t = b64.EncodeToString(sum[:])
	}
	proofs := r.Header.Values("DPoP")
	switch len(proofs) {
	case 0:
		return b, nil
	case 1:
	default:
		return b, badProof("more than one DPoP header")
	}
	jkt, oerr := s.checkProof(proofs[0])
	b.jkt = jkt
	return b, oerr
}

func badProof(why string) *oauthError {
	return badRequest("invalid_dpop_proof", "the DPoP proof "+why)
}

// checkProof checks a proof sent to the token endpoint (RFC 9449 §4.3)
// and returns its key's thumbprint.
func (s *Server) checkProof(proof string) (string, *oauthError) {
	parts := strings.Split(proof, ".")
	if len(proof) > maxProofBytes || len(parts) != 3 {
		return "", badProof("is not a compact JWS")
	}
	var h struct {
		Typ string                     `json:"typ"`
		Alg string                     `json:"alg"`
		JWK map[string]json.RawMessage `json:"jwk"`
	}
	var c struct {
		JTI   string   `json:"jti"`
		HTM   string   `json:"htm"`
		HTU   string   `json:"htu"`
		IAT   *float64 `json:"iat"`
		Nonce string   `json:"nonce"`
	}
	if !decodeJSON(parts[0], &h) || !decodeJSON(parts[1], &c) {
		return "", badProof("is not JSON")
	}
	switch {
	case h.Typ != "dpop+jwt":
		return "", badProof("typ is not dpop+jwt")
	case !contains(DPoPAlgorithms(), h.Alg):
		return "", badProof("alg is not supported: " + quoted(h.Alg))
	}
	pub, jkt, why := proofKey(h.JWK)
	if why != "" {
		return "", badProof(why)
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil || !verifyJWS(pub, h.Alg, parts[0]+"."+parts[1], sig) {
		return "", badProof("signature does not verify with its jwk")
	}
	now := s.now()
	switch {
	case c.JTI == "":
		return "", badProof("has no jti")
	case c.HTM != http.MethodPost:
		return "", badProof("htm is not POST")
	case c.HTU != s.endpointURL("/token"):
		return "", badProof("htu is not the token endpoint")
	case c.IAT == nil:
		return "", badProof("has no iat")
	}
	if iat := time.Unix(int64(*c.IAT), 0); iat.Before(now.Add(-dpopWindow)) || iat.After(now.Add(dpopWindow)) {
		return "", badProof("iat is outside the accepted window")
	}
	if !s.proofs.use(jkt+" "+c.JTI, now) {
		return "", badProof("was used before")
	}
	return jkt, nil
}

func decodeJSON(seg string, v any) bool {
	raw, err := b64.DecodeString(seg)
	return err == nil && json.Unmarshal(raw, v) == nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// proofKey reads a proof's public key and its RFC 7638 thumbprint, or
// says why it cannot.
func proofKey(jwk map[string]json.RawMessage) (crypto.PublicKey, string, string) {
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
		if _, ok := jwk[private]; ok {
			return nil, "", "jwk holds a private key"
		}
	}
	str := func(name string) string {
		var v string
		_ = json.Unmarshal(jwk[name], &v)
		return v
	}
	kty, crv := str("kty"), str("crv")
	var canonical string
	var pub crypto.PublicKey
	switch {
	case kty == "EC" && (crv == "P-256" || crv == "P-384" || crv == "P-521"):
		x, y := str("x"), str("y")
		curve := map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()}[crv]
		xb, err1 := b64.DecodeString(x)
		yb, err2 := b64.DecodeString(y)
		size := (curve.Params().BitSize + 7) / 8
		if err1 != nil || err2 != nil || len(xb) != size || len(yb) != size {
			return nil, "", "jwk is not an EC public key"
		}
		k, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, xb...), yb...))
		if err != nil {
			return nil, "", "jwk is not an EC public key"
		}
		pub, canonical = k, `{"crv":"`+crv+`","kty":"EC","x":"`+x+`","y":"`+y+`"}`
	case kty == "RSA":
		n, e := str("n"), str("e")
		nb, err1 := b64.DecodeString(n)
		eb, err2 := b64.DecodeString(e)
		if err1 != nil || err2 != nil || len(nb) < 256 || len(eb) == 0 || len(eb) > 4 {
			return nil, "", "jwk is not an RSA public key of 2048 bits or more"
		}
		pub = &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: int(new(big.Int).SetBytes(eb).Int64())}
		canonical = `{"e":"` + e + `","kty":"RSA","n":"` + n + `"}`
	case kty == "OKP" && crv == "Ed25519":
		x := str("x")
		xb, err := b64.DecodeString(x)
		if err != nil || len(xb) != ed25519.PublicKeySize {
			return nil, "", "jwk is not an Ed25519 public key"
		}
		pub, canonical = ed25519.PublicKey(xb), `{"crv":"Ed25519","kty":"OKP","x":"`+x+`"}`
	default:
		return nil, "", "jwk is of an unsupported type"
	}
	sum := sha256.Sum256([]byte(canonical))
	return pub, b64.EncodeToString(sum[:]), ""
}

// verifyJWS checks a JWS signature with the standard library (RFC 7518
// §3.3-3.5, RFC 8037 §3.1).
func verifyJWS(pub crypto.PublicKey, alg, input string, sig []byte) bool {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return alg == "EdDSA" && ed25519.Verify(k, []byte(input), sig)
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		digest := map[int]func([]byte) []byte{
			32: func(b []byte) []byte { s := sha256.Sum256(b); return s[:] },
			48: func(b []byte) []byte { s := sha512.Sum384(b); return s[:] },
			66: func(b []byte) []byte { s := sha512.Sum512(b); return s[:] },
		}[size]
		want := map[int]string{32: "ES256", 48: "ES384", 66: "ES512"}[size]
		if alg != want || len(sig) != 2*size {
			return false
		}
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		return ecdsa.Verify(k, digest([]byte(input)), r, s)
	case *rsa.PublicKey:
		sum := sha256.Sum256([]byte(input))
		switch alg {
		case "RS256":
			return rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig) == nil
		case "PS256":
			return rsa.VerifyPSS(k, crypto.SHA256, sum[:], sig, nil) == nil
		}
	}
	return false
}

// refreshKey is the DPoP key a refresh token is bound to: a public
// client's proof key (RFC 9449 §5: a public client has no other way to
// show it is the client the token was issued to), "" otherwise.
func refreshKey(client *Client, pop binding) string {
	if client.public() {
		return pop.jkt
	}
	return ""
}

// checkKey refuses a bound refresh token without a proof of its key
// (RFC 9449 §5), and keeps the binding across rotations.
func (r *refreshRecord) checkKey(pop binding) *oauthError {
	switch {
	case r.jkt == "":
		return nil
	case pop.jkt == "":
		return badProof("is missing: the refresh token is bound to a DPoP key")
	case pop.jkt != r.jkt:
		return badRequest("invalid_grant", "the refresh token is bound to another DPoP key")
	}
	return nil
}

// introspectedType is the token_type introspection reports for an access
// token: DPoP for one bound to a DPoP key (RFC 9449 §6.2), whose "cnf" the
// response carries with the other claims, else Bearer.
func introspectedType(claims map[string]any) string {
	if cnf, ok := claims["cnf"].(map[string]any); ok && cnf["jkt"] != nil {
		return "DPoP"
	}
	return "Bearer"
}
