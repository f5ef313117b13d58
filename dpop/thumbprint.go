package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"math/big"
)

// Thumbprint returns the RFC 7638 JWK SHA-256 thumbprint of a public key,
// base64url-encoded: the "jkt" that binds an access token to a DPoP key
// (RFC 9449 §6.1). pub is an *rsa.PublicKey, an *ecdsa.PublicKey on P-256,
// P-384 or P-521, or an ed25519.PublicKey.
//
//	jkt, err := dpop.Thumbprint(key.Public())
func Thumbprint(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		e := b64.EncodeToString(big.NewInt(int64(k.E)).Bytes())
		return thumbprint(`{"e":"` + e + `","kty":"RSA","n":"` + b64.EncodeToString(k.N.Bytes()) + `"}`), nil
	case *ecdsa.PublicKey:
		crv := k.Curve.Params().Name
		c, ok := curves[crv]
		if !ok {
			return "", fmt.Errorf("dpop: Thumbprint of a key on %s, want P-256, P-384 or P-521", crv)
		}
		point, err := k.Bytes()
		if err != nil {
			return "", fmt.Errorf("dpop: Thumbprint: %w", err)
		}
		x, y := b64.EncodeToString(point[1:1+c.size]), b64.EncodeToString(point[1+c.size:])
		return thumbprint(`{"crv":"` + crv + `","kty":"EC","x":"` + x + `","y":"` + y + `"}`), nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return "", fmt.Errorf("dpop: Thumbprint of an Ed25519 key of %d bytes", len(k))
		}
		return thumbprint(`{"crv":"Ed25519","kty":"OKP","x":"` + b64.EncodeToString(k) + `"}`), nil
	}
	return "", fmt.Errorf("dpop: Thumbprint of a %T, want an RSA, EC or Ed25519 public key", pub)
}
