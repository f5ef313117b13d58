package introspection

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"
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
	tok := jwt.NewWithClaims(i.signing, jwt.MapClaims{
		"iss": c.ClientID,
		"sub": c.ClientID,
		"aud": c.AssertionAudience,
		"jti": rand.Text(),
		"iat": now.Unix(),
		"exp": now.Add(assertionLifetime).Unix(),
	})
	if c.PrivateKeyID != "" {
		tok.Header["kid"] = c.PrivateKeyID
	}
	s, err := tok.SignedString(c.PrivateKey)
	if err != nil {
		return "", fmt.Errorf("introspection: signing the client assertion: %w", err)
	}
	return s, nil
}

// assertionMethod picks the JWS algorithm for key, or says why key cannot
// sign client assertions.
func assertionMethod(key crypto.Signer) (jwt.SigningMethod, error) {
	switch k := key.(type) {
	case nil:
		return nil, fmt.Errorf("introspection: Config.PrivateKey is required with Config.AuthMethod %q", authPrivateKeyJWT)
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < 2048 {
			return nil, fmt.Errorf("introspection: Config.PrivateKey is a %d-bit RSA key, want at least 2048 bits", bits)
		}
		return jwt.SigningMethodRS256, nil
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			return jwt.SigningMethodES256, nil
		case elliptic.P384():
			return jwt.SigningMethodES384, nil
		case elliptic.P521():
			return jwt.SigningMethodES512, nil
		}
		return nil, fmt.Errorf("introspection: Config.PrivateKey is an ECDSA key on %s, want P-256, P-384 or P-521", k.Curve.Params().Name)
	case ed25519.PrivateKey:
		return jwt.SigningMethodEdDSA, nil
	}
	return nil, fmt.Errorf("introspection: Config.PrivateKey is a %T, want *rsa.PrivateKey, *ecdsa.PrivateKey or ed25519.PrivateKey", key)
}
