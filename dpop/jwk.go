package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"

	"github.com/tokengate/tokengate/internal/binding"
	"github.com/tokengate/tokengate/internal/claimset"
	"github.com/tokengate/tokengate/internal/netpolicy"
)

// Bounds on the RSA keys a proof may carry: at least 2048 bits (RFC 8725
// §3.5, NIST SP 800-131A), and at most 4096, so that a proof cannot make
// the server do an arbitrarily costly verification.
const (
	minRSABits = 2048
	maxRSABits = 4096
)

// privateMembers are the JWK members of private keys (RFC 7518 §6.2.2,
// §6.3.2, §6.4; RFC 8037 §2). A proof's jwk must hold a public key only
// (RFC 9449 §4.2, §4.3 step 7).
var privateMembers = map[string]bool{"d": true, "p": true, "q": true, "dp": true, "dq": true, "qi": true, "oth": true, "k": true}

// curves are the EC curves a proof key may use, with their coordinate
// sizes (RFC 7518 §6.2.1), and the algorithm that goes with each.
var curves = map[string]struct {
	curve elliptic.Curve
	size  int
	alg   string
}{
	"P-256": {elliptic.P256(), 32, "ES256"},
	"P-384": {elliptic.P384(), 48, "ES384"},
	"P-521": {elliptic.P521(), 66, "ES512"},
}

// rawKey holds the members of a jwk read from the header.
type rawKey struct {
	kty, crv, x, y, n, e, alg string
}

// parseJWK decodes the "jwk" header of a proof strictly (RFC 7517 §4,
// RFC 7518 §6, RFC 8037 §2): a public RSA key of 2048 to 4096 bits, an EC
// key on P-256, P-384 or P-521, or an Ed25519 key; no private member; each
// value canonical base64url; a key of the kind alg needs. It returns the
// key and its RFC 7638 thumbprint.
func parseJWK(raw, alg string) (crypto.PublicKey, string, error) {
	var k rawKey
	seen := map[string]bool{}
	err := claimset.Members([]byte(raw), func(name, value string) error {
		if privateMembers[name] {
			return fmt.Errorf("%w: jwk has the private key member %s (RFC 9449 §4.3)", binding.ErrProofKey, netpolicy.Quote(name))
		}
		if seen[name] {
			return fmt.Errorf("%w: jwk has member %s twice", binding.ErrProofMalformed, netpolicy.Quote(name))
		}
		seen[name] = true
		dst := k.field(name)
		if dst == nil {
			return nil
		}
		s, err := claimset.String(name, value)
		if err != nil {
			return fmt.Errorf("%w: jwk member %s is not a string", binding.ErrProofMalformed, netpolicy.Quote(name))
		}
		*dst = s
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if k.alg != "" && k.alg != alg {
		return nil, "", fmt.Errorf("%w: jwk \"alg\" is %s, header \"alg\" %s", binding.ErrProofKey, netpolicy.Quote(k.alg), netpolicy.Quote(alg))
	}
	switch k.kty {
	case "RSA":
		return k.rsa(alg)
	case "EC":
		return k.ec(alg)
	case "OKP":
		return k.okp(alg)
	}
	return nil, "", fmt.Errorf("%w: jwk \"kty\" is %s, want \"RSA\", \"EC\" or \"OKP\"", binding.ErrProofKey, netpolicy.Quote(k.kty))
}

func (k *rawKey) field(name string) *string {
	switch name {
	case "kty":
		return &k.kty
	case "crv":
		return &k.crv
	case "x":
		return &k.x
	case "y":
		return &k.y
	case "n":
		return &k.n
	case "e":
		return &k.e
	case "alg":
		return &k.alg
	}
	return nil
}

func (k *rawKey) rsa(alg string) (crypto.PublicKey, string, error) {
	if alg[0] != 'R' && alg[0] != 'P' {
		return nil, "", fmt.Errorf("%w: an RSA jwk cannot verify %s", binding.ErrProofKey, alg)
	}
	n, okN := unsigned(k.n)
	e, okE := unsigned(k.e)
	switch {
	case !okN || !okE:
		return nil, "", fmt.Errorf("%w: RSA jwk \"n\" or \"e\" is not a canonical base64url unsigned integer (RFC 7518 §6.3.1)", binding.ErrProofKey)
	case n.BitLen() < minRSABits || n.BitLen() > maxRSABits:
		return nil, "", fmt.Errorf("%w: RSA jwk of %d bits, want %d to %d", binding.ErrProofKey, n.BitLen(), minRSABits, maxRSABits)
	case !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0:
		return nil, "", fmt.Errorf("%w: RSA jwk \"e\" %s is not an odd exponent from 3 to 2^31-1", binding.ErrProofKey, netpolicy.Quote(k.e))
	}
	pub := &rsa.PublicKey{N: n, E: int(e.Int64())}
	return pub, thumbprint(`{"e":"` + k.e + `","kty":"RSA","n":"` + k.n + `"}`), nil
}

func (k *rawKey) ec(alg string) (crypto.PublicKey, string, error) {
	c, ok := curves[k.crv]
	if !ok {
		return nil, "", fmt.Errorf("%w: EC jwk \"crv\" is %s, want \"P-256\", \"P-384\" or \"P-521\"", binding.ErrProofKey, netpolicy.Quote(k.crv))
	}
	if alg != c.alg {
		return nil, "", fmt.Errorf("%w: an EC jwk on %s cannot verify %s, only %s", binding.ErrProofKey, k.crv, alg, c.alg)
	}
	x, okX := decode(k.x)
	y, okY := decode(k.y)
	if !okX || !okY || len(x) != c.size || len(y) != c.size {
		return nil, "", fmt.Errorf("%w: EC jwk \"x\" and \"y\" must be %d-byte canonical base64url (RFC 7518 §6.2.1.2)", binding.ErrProofKey, c.size)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(c.curve, append(append([]byte{4}, x...), y...))
	if err != nil {
		return nil, "", fmt.Errorf("%w: EC jwk is not a point on %s: %v", binding.ErrProofKey, k.crv, err)
	}
	return pub, thumbprint(`{"crv":"` + k.crv + `","kty":"EC","x":"` + k.x + `","y":"` + k.y + `"}`), nil
}

func (k *rawKey) okp(alg string) (crypto.PublicKey, string, error) {
	if k.crv != "Ed25519" {
		return nil, "", fmt.Errorf("%w: OKP jwk \"crv\" is %s, want \"Ed25519\"", binding.ErrProofKey, netpolicy.Quote(k.crv))
	}
	if alg != "EdDSA" && alg != "Ed25519" {
		return nil, "", fmt.Errorf("%w: an Ed25519 jwk cannot verify %s", binding.ErrProofKey, alg)
	}
	x, ok := decode(k.x)
	if !ok || len(x) != ed25519.PublicKeySize {
		return nil, "", fmt.Errorf("%w: Ed25519 jwk \"x\" must be %d-byte canonical base64url (RFC 8037 §2)", binding.ErrProofKey, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(x), thumbprint(`{"crv":"Ed25519","kty":"OKP","x":"` + k.x + `"}`), nil
}

// b64 decodes strictly: unpadded base64url whose spare bits are zero, and
// nothing else, so that one key has one spelling and one thumbprint.
var b64 = base64.RawURLEncoding.Strict()

func decode(s string) ([]byte, bool) {
	b, err := b64.DecodeString(s)
	if err != nil || len(s) != b64.EncodedLen(len(b)) {
		return nil, false
	}
	return b, true
}

// unsigned decodes a Base64urlUInt (RFC 7518 §2): big-endian, minimal
// length, so no leading zero octet.
func unsigned(s string) (*big.Int, bool) {
	b, ok := decode(s)
	if !ok || len(b) == 0 || b[0] == 0 {
		return nil, false
	}
	return new(big.Int).SetBytes(b), true
}

// thumbprint hashes the canonical JSON of a key's required members
// (RFC 7638 §3.2). The members were decoded strictly above, so each is
// already in its one canonical spelling and needs no escaping.
func thumbprint(canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return b64.EncodeToString(sum[:])
}
