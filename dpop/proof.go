package dpop

import (
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/binding"
	"github.com/tokengate/tokengate/internal/claimset"
	"github.com/tokengate/tokengate/internal/netpolicy"
)

// proofType is the "typ" of a DPoP proof (RFC 9449 §4.2).
const proofType = "dpop+jwt"

// proofHeader is a proof's decoded and checked JOSE header.
type proofHeader struct {
	alg    string
	method jwt.SigningMethod
	key    crypto.PublicKey
	jkt    string
}

// proofClaims are the claims of a proof (RFC 9449 §4.2).
type proofClaims struct {
	jti, htm, htu, ath, nonce string
	iat                       time.Time
}

// CheckProof checks the one proof of req, in this order (RFC 9449 §4.3),
// and returns its key's thumbprint and what the replay check needs:
//
//  1. exactly one proof, no longer than Config.MaxProofBytes, a compact
//     JWS of three canonical base64url parts;
//  2. header: "typ" dpop+jwt, "alg" in Config.Algorithms, no "crit", a
//     "jwk" holding a public key only, of a supported type and size and
//     of the kind "alg" needs;
//  3. the signature, with that key: no claim is believed before it;
//  4. claims: "jti", "htm", "htu" and "iat" present; "htm" equal to
//     req.Method; "htu" with no query or fragment, equal to req.URL after
//     RFC 3986 §6.2.2-6.2.3 normalization; "iat" no more than
//     Config.Leeway in the future nor older than Config.MaxAge plus
//     Leeway; "ath" equal to the hash of req.AccessToken;
//  5. with Config.RequireNonce, a "nonce" this Checker issued in the
//     current or the previous window (else tokengate.ErrUseDPoPNonce).
//
// Every refusal wraps tokengate.ErrInvalidDPoPProof, but the nonce's.
func (c *Checker) CheckProof(_ context.Context, req tokengate.DPoPRequest) (Proof, error) {
	switch len(req.Proofs) {
	case 0:
		return Proof{}, fmt.Errorf("%w (RFC 9449 §7.1)", binding.ErrProofMissing)
	case 1:
	default:
		return Proof{}, fmt.Errorf("%w: %d DPoP header values, want 1 (RFC 9449 §4.3)", binding.ErrProofMultiple, len(req.Proofs))
	}
	proof := req.Proofs[0]
	if len(proof) > c.cfg.MaxProofBytes {
		return Proof{}, fmt.Errorf("%w: %d bytes, Config.MaxProofBytes %d", binding.ErrProofTooLarge, len(proof), c.cfg.MaxProofBytes)
	}
	headSeg, payloadSeg, sigSeg, ok := split(proof)
	if !ok {
		return Proof{}, fmt.Errorf("%w: not a compact JWS of three parts (it has %d dots)", binding.ErrProofMalformed, strings.Count(proof, "."))
	}
	h, err := c.parseHeader(headSeg)
	if err != nil {
		return Proof{}, err
	}
	sig, ok := decode(sigSeg)
	if !ok || len(sig) == 0 {
		return Proof{}, fmt.Errorf("%w: signature missing or not canonical base64url", binding.ErrProofMalformed)
	}
	if err := h.method.Verify(proof[:len(headSeg)+1+len(payloadSeg)], sig, h.key); err != nil {
		return Proof{}, fmt.Errorf("%w: %s signature does not verify with the proof's jwk %s: %v", binding.ErrProofSignature, h.alg, netpolicy.Quote(h.jkt), err)
	}
	cl, err := parseClaims(payloadSeg)
	if err != nil {
		return Proof{}, err
	}
	if err := c.checkClaims(cl, req); err != nil {
		return Proof{}, err
	}
	return Proof{
		JKT:       h.jkt,
		ReplayKey: replayKey(h.jkt, cl.jti),
		Until:     cl.iat.Add(c.cfg.MaxAge + c.cfg.Leeway),
	}, nil
}

// split cuts a compact JWS into its three segments.
func split(s string) (head, payload, sig string, ok bool) {
	head, rest, ok1 := strings.Cut(s, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.IndexByte(sig, '.') >= 0 {
		return "", "", "", false
	}
	return head, payload, sig, true
}

// parseHeader decodes and checks the header segment.
func (c *Checker) parseHeader(seg string) (*proofHeader, error) {
	raw, ok := decode(seg)
	if !ok {
		return nil, fmt.Errorf("%w: header is not canonical base64url", binding.ErrProofMalformed)
	}
	var typ, alg, jwk string
	var crit bool
	err := uniqueMembers(raw, "header", func(name, value string) error {
		var err error
		switch name {
		case "typ":
			typ, err = claimset.String(name, value)
		case "alg":
			alg, err = claimset.String(name, value)
		case "jwk":
			jwk = value
		case "crit":
			crit = true
		}
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case typ != proofType:
		return nil, fmt.Errorf("%w: header \"typ\" is %s, want %q (RFC 9449 §4.2)", binding.ErrProofMalformed, netpolicy.Quote(typ), proofType)
	case c.allowed[alg] == nil:
		return nil, fmt.Errorf("%w: header \"alg\" is %s, want one of %s (RFC 9449 §4.3)", binding.ErrProofAlgorithm, netpolicy.Quote(alg), strings.Join(c.cfg.Algorithms, " "))
	case crit:
		return nil, fmt.Errorf("%w: header has \"crit\", and no extension is understood (RFC 7515 §4.1.11)", binding.ErrProofMalformed)
	case jwk == "" || jwk[0] != '{':
		return nil, fmt.Errorf("%w: header has no \"jwk\" object (RFC 9449 §4.2)", binding.ErrProofMalformed)
	}
	key, jkt, err := parseJWK(jwk, alg)
	if err != nil {
		return nil, err
	}
	return &proofHeader{alg: alg, method: c.allowed[alg], key: key, jkt: jkt}, nil
}

// parseClaims decodes the payload segment.
func parseClaims(seg string) (*proofClaims, error) {
	raw, ok := decode(seg)
	if !ok {
		return nil, fmt.Errorf("%w: payload is not canonical base64url", binding.ErrProofMalformed)
	}
	cl := &proofClaims{}
	var iat string
	err := uniqueMembers(raw, "claims", func(name, value string) error {
		var err error
		switch name {
		case "jti":
			cl.jti, err = claimset.String(name, value)
		case "htm":
			cl.htm, err = claimset.String(name, value)
		case "htu":
			cl.htu, err = claimset.String(name, value)
		case "ath":
			cl.ath, err = claimset.String(name, value)
		case "nonce":
			cl.nonce, err = claimset.String(name, value)
		case "iat":
			iat = value
		}
		if err != nil {
			return fmt.Errorf("%w: claim %s is not a string", binding.ErrProofMalformed, netpolicy.Quote(name))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, m := range []struct{ name, value string }{{"jti", cl.jti}, {"htm", cl.htm}, {"htu", cl.htu}, {"iat", iat}} {
		if m.value == "" {
			return nil, fmt.Errorf("%w: claim %q is missing or empty (RFC 9449 §4.2)", binding.ErrProofMalformed, m.name)
		}
	}
	if cl.iat, ok = seconds(iat); !ok {
		return nil, fmt.Errorf("%w: claim \"iat\" %s is not a NumericDate", binding.ErrProofMalformed, netpolicy.Quote(iat))
	}
	return cl, nil
}

// uniqueMembers walks a JSON object like claimset.Members but refuses a
// member name that repeats: a proof has one meaning, whichever parser
// reads it.
func uniqueMembers(raw []byte, what string, fn func(name, value string) error) error {
	seen := make(map[string]struct{}, 8)
	err := claimset.Members(raw, func(name, value string) error {
		if _, dup := seen[name]; dup {
			return fmt.Errorf("%w: %s member %s appears twice", binding.ErrProofMalformed, what, netpolicy.Quote(name))
		}
		seen[name] = struct{}{}
		return fn(name, value)
	})
	if err != nil && !errors.Is(err, tokengate.ErrInvalidDPoPProof) {
		return fmt.Errorf("%w: %s is not a JSON object: %v", binding.ErrProofMalformed, what, err)
	}
	return err
}

// seconds decodes a NumericDate (RFC 7519 §2), a JSON number.
func seconds(raw string) (time.Time, bool) {
	if c := raw[0]; c != '-' && (c < '0' || c > '9') {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > 253402300799 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

// checkClaims checks a verified proof's claims against the request.
func (c *Checker) checkClaims(cl *proofClaims, req tokengate.DPoPRequest) error {
	now, leeway := c.cfg.Now(), c.cfg.Leeway
	switch {
	case cl.htm != req.Method:
		return fmt.Errorf("%w: \"htm\" is %s, request method %s (RFC 9449 §4.3)", binding.ErrProofMethod, netpolicy.Quote(cl.htm), netpolicy.Quote(req.Method))
	case !sameURL(cl.htu, req.URL):
		return fmt.Errorf("%w: \"htu\" is %s, request URL %s (RFC 9449 §4.3)", binding.ErrProofURL, netpolicy.Quote(cl.htu), netpolicy.Quote(req.URL))
	case cl.iat.After(now.Add(leeway)):
		return fmt.Errorf("%w: \"iat\" %s is in the future: it is %s (leeway %v)", binding.ErrProofTime, stamp(cl.iat), stamp(now), leeway)
	case cl.iat.Add(c.cfg.MaxAge + leeway).Before(now):
		return fmt.Errorf("%w: \"iat\" %s is older than MaxAge %v: it is %s (leeway %v)", binding.ErrProofTime, stamp(cl.iat), c.cfg.MaxAge, stamp(now), leeway)
	case req.AccessToken != "" && cl.ath == "":
		return fmt.Errorf("%w: no \"ath\" with an access token (RFC 9449 §4.3)", binding.ErrProofTokenHash)
	case req.AccessToken != "" && cl.ath != tokenHash(req.AccessToken):
		return fmt.Errorf("%w: \"ath\" %s is not the hash of the presented access token (RFC 9449 §4.3)", binding.ErrProofTokenHash, netpolicy.Quote(cl.ath))
	case c.nonces != nil && cl.nonce == "":
		return fmt.Errorf("dpop: proof has no \"nonce\", and this server requires one (RFC 9449 §9): %w", tokengate.ErrUseDPoPNonce)
	case c.nonces != nil && !c.nonces.valid(cl.nonce):
		return fmt.Errorf("dpop: proof \"nonce\" %s is not a current nonce of this server (RFC 9449 §9): %w", netpolicy.Quote(cl.nonce), tokengate.ErrUseDPoPNonce)
	}
	return nil
}

// tokenHash is the "ath" of an access token: base64url(SHA-256(token))
// (RFC 9449 §4.2).
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return b64.EncodeToString(sum[:])
}

// replayKey identifies a proof in the replay store: a hash of its key's
// thumbprint and its "jti", of fixed size whatever the jti, and scoped to
// the key so that one client cannot spend another's jti.
func replayKey(jkt, jti string) string {
	sum := sha256.Sum256([]byte(jkt + "\x00" + jti))
	return "dpop:" + b64.EncodeToString(sum[:])
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
