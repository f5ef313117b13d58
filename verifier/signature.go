package verifier

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"math/big"
	"slices"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"
	"github.com/tokengate/tokengate/internal/b64url"
)

// The signature check of RS*, ES* and EdDSA calls crypto/rsa,
// crypto/ecdsa and crypto/ed25519 exactly as golang-jwt's methods do, less
// what a profile showed those wrappers add to every check: a heap copy of
// the signing input ([]byte(signingString)), a heap hash state and its
// Sum. Here the input is hashed in place (see readOnlyBytes), with the
// hash's value on the stack, and the signature is decoded to the stack.
// PS* and HS* keep going through golang-jwt.
// TestSignatureAgreesWithGolangJWT holds the two to the same answers.

// readOnlyBytes returns the bytes of s without a copy, for a function
// that only reads its argument and keeps nothing of it: the SHA-2 sums
// and ed25519.Verify. Nothing may write to the slice: s is a Go string.
func readOnlyBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// maxSignatureBytes is room for the longest signature of a key
// jwkscache serves (RSA of 8192 bits); a longer one cannot verify.
const maxSignatureBytes = 1024

// ecdsaSize is the byte length of r and of s per ES algorithm (RFC 7518
// §3.4), with the curve its key must be on.
var ecdsaSize = map[string]struct {
	size  int
	curve elliptic.Curve
}{
	"ES256": {32, elliptic.P256()}, "ES384": {48, elliptic.P384()}, "ES512": {66, elliptic.P521()},
}

// verifySignature checks sig over input with key, for the header's
// algorithm.
func verifySignature(h *header, input string, sig []byte, key any) error {
	switch h.alg {
	case "RS256", "RS384", "RS512":
		pub, ok := key.(*rsa.PublicKey)
		if !ok {
			return jwt.ErrInvalidKeyType
		}
		hash, digest := digestOf(h.alg, readOnlyBytes(input))
		return rsa.VerifyPKCS1v15(pub, hash, digest.b[:digest.n], sig)
	case "ES256", "ES384", "ES512":
		pub, ok := key.(*ecdsa.PublicKey)
		p := ecdsaSize[h.alg]
		if !ok || pub.Curve != p.curve {
			return jwt.ErrInvalidKeyType
		}
		if len(sig) != 2*p.size {
			return jwt.ErrECDSAVerification
		}
		_, digest := digestOf(h.alg, readOnlyBytes(input))
		r, s := new(big.Int).SetBytes(sig[:p.size]), new(big.Int).SetBytes(sig[p.size:])
		if !ecdsa.Verify(pub, digest.b[:digest.n], r, s) {
			return jwt.ErrECDSAVerification
		}
		return nil
	case "EdDSA", "Ed25519":
		pub, ok := key.(ed25519.PublicKey)
		if !ok || len(pub) != ed25519.PublicKeySize {
			return jwt.ErrInvalidKeyType
		}
		if !ed25519.Verify(pub, readOnlyBytes(input), sig) {
			return jwt.ErrEd25519Verification
		}
		return nil
	}
	// A copy, so that sig, which the interface call would leak, can stay
	// on the caller's stack.
	return h.method.Verify(input, slices.Clone(sig), key)
}

// decodeSignature decodes the signature segment as decodeSegment does,
// into buf and without allocating when it fits.
func decodeSignature(buf *[maxSignatureBytes]byte, seg string) ([]byte, bool) {
	if b64url.DecodedLen(len(seg)) > len(buf) {
		sig, ok := decodeSegment(seg)
		return sig, ok && len(sig) > 0
	}
	n, ok := b64url.Decode(buf[:], seg)
	return buf[:n], ok && n > 0
}

// digest is a hash value held by value, on the stack.
type digest struct {
	b [sha512.Size]byte
	n int
}

// digestOf hashes msg with the hash of alg: SHA-256, -384 or -512 by its
// last three digits (RFC 7518 §3.1).
func digestOf(alg string, msg []byte) (crypto.Hash, digest) {
	var d digest
	switch alg[len(alg)-3:] {
	case "384":
		s := sha512.Sum384(msg)
		d.n = copy(d.b[:], s[:])
		return crypto.SHA384, d
	case "512":
		s := sha512.Sum512(msg)
		d.n = copy(d.b[:], s[:])
		return crypto.SHA512, d
	}
	s := sha256.Sum256(msg)
	d.n = copy(d.b[:], s[:])
	return crypto.SHA256, d
}
