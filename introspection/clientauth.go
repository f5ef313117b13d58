package introspection

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha256" // the hashes of RS256, ES256
	_ "crypto/sha512" // and of ES384, ES512
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"time"
)

// assertionType is the client_assertion_type of a JWT client assertion
// (RFC 7523 §2.2).
const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionLifetime is the "exp" of a client assertion after its "iat":
// short, since each assertion is made for one call.
const assertionLifetime = time.Minute

// authenticate adds the client authentication of Config.AuthMethod to a
// request whose form is still to be encoded (RFC 6749 §2.3, RFC 7521 §4.2).
func (i *Introspector) authenticate(form url.Values) error {
	c := &i.cfg
	switch c.AuthMethod {
	case authPost:
		form.Set("client_id", c.ClientID)
		form.Set("client_secret", c.ClientSecret)
	case authPrivateKeyJWT:
		a, err := i.assertion()
		if err != nil {
			return err
		}
		form.Set("client_id", c.ClientID)
		form.Set("client_assertion_type", assertionType)
		form.Set("client_assertion", a)
	case authNone:
		if c.ClientID != "" {
			form.Set("client_id", c.ClientID)
		}
	}
	return nil
}

// authenticateHeader sets HTTP Basic credentials for client_secret_basic.
func (i *Introspector) authenticateHeader(req *http.Request) {
	if i.cfg.AuthMethod == authBasic {
		// RFC 6749 §2.3.1: the client identifier and secret are
		// form-urlencoded before they are used as Basic credentials.
		req.SetBasicAuth(url.QueryEscape(i.cfg.ClientID), url.QueryEscape(i.cfg.ClientSecret))
	}
}

// assertion signs a fresh client assertion (RFC 7523 §3): issuer and
// subject the client ID, the authorization server as audience, a new
// "jti" and a short "exp", on the injected clock.
func (i *Introspector) assertion() (string, error) {
	c := &i.cfg
	now := c.Now()
	header := map[string]string{"alg": i.signing.alg, "typ": "JWT"}
	if c.PrivateKeyID != "" {
		header["kid"] = c.PrivateKeyID
	}
	claims := map[string]any{
		"iss": c.ClientID,
		"sub": c.ClientID,
		"aud": c.AssertionAudience,
		"jti": rand.Text(),
		"iat": now.Unix(),
		"exp": now.Add(assertionLifetime).Unix(),
	}
	s, err := i.signing.sign(c.PrivateKey, header, claims)
	if err != nil {
		return "", fmt.Errorf("introspection: signing the client assertion: %w", err)
	}
	return s, nil
}

// signer is the JWS algorithm of the client assertions (RFC 7518 §3.1,
// RFC 8037 §3.1). Signing is done here, with the standard library and
// through crypto.Signer, so that a service that introspects links no JWT
// library, and a key held in a KMS or HSM signs as well as one in memory.
type signer struct {
	alg  string
	hash crypto.Hash // 0 for EdDSA, which signs the message itself
	size int         // bytes of r and of s in an ECDSA signature; 0 otherwise
}

// sign returns the compact JWS of claims under header, signed with key.
func (m signer) sign(key crypto.Signer, header map[string]string, claims map[string]any) (string, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	p, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	msg := []byte(input)
	if m.hash != 0 {
		d := m.hash.New()
		d.Write(msg)
		msg = d.Sum(nil)
	}
	sig, err := key.Sign(rand.Reader, msg, m.hash)
	if err != nil {
		return "", err
	}
	if m.size > 0 { // crypto.Signer gives ASN.1 DER; JWS wants R‖S (RFC 7518 §3.4)
		if sig, err = rawECDSA(sig, m.size); err != nil {
			return "", err
		}
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// rawECDSA turns an ASN.1 DER ECDSA signature into R‖S of size bytes each.
func rawECDSA(der []byte, size int) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) > 0 {
		return nil, errors.New("malformed ECDSA signature")
	}
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}

// assertionMethod picks the JWS algorithm for key, or says why key cannot
// sign client assertions.
func assertionMethod(key crypto.Signer) (signer, error) {
	if key == nil {
		return signer{}, fmt.Errorf("introspection: Config.PrivateKey is required with Config.AuthMethod %q", authPrivateKeyJWT)
	}
	switch k := key.Public().(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < 2048 {
			return signer{}, fmt.Errorf("introspection: Config.PrivateKey is a %d-bit RSA key, want at least 2048 bits", bits)
		}
		return signer{alg: "RS256", hash: crypto.SHA256}, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return signer{alg: "ES256", hash: crypto.SHA256, size: 32}, nil
		case elliptic.P384():
			return signer{alg: "ES384", hash: crypto.SHA384, size: 48}, nil
		case elliptic.P521():
			return signer{alg: "ES512", hash: crypto.SHA512, size: 66}, nil
		}
		return signer{}, fmt.Errorf("introspection: Config.PrivateKey is an ECDSA key on %s, want P-256, P-384 or P-521", k.Curve.Params().Name)
	case ed25519.PublicKey:
		return signer{alg: "EdDSA"}, nil
	}
	return signer{}, fmt.Errorf("introspection: Config.PrivateKey is a %T, want an RSA, ECDSA or Ed25519 key", key)
}
