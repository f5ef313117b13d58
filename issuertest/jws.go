package issuertest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
)

// JWS algorithms the server can sign with (RFC 7518 §3.1, RFC 8037 §3.1).
const (
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
	AlgEdDSA = "EdDSA"
)

var b64 = base64.RawURLEncoding

// encodeJWS serializes header and claims in JWS compact form and signs
// them with priv under alg, whatever header["alg"] says, so that callers can
// build tokens whose header lies about the algorithm.
func encodeJWS(priv crypto.Signer, alg string, header, claims map[string]any) string {
	input := signingInput(header, claims)
	return input + "." + b64.EncodeToString(signBytes(priv, alg, []byte(input)))
}

func signingInput(header, claims map[string]any) string {
	return b64.EncodeToString(mustJSON(header)) + "." + b64.EncodeToString(mustJSON(claims))
}

// signBytes computes the JWS signature of input (RFC 7515 §5.1) with the
// private key for alg.
func signBytes(priv crypto.Signer, alg string, input []byte) []byte {
	switch alg {
	case AlgRS256:
		sum := sha256.Sum256(input)
		sig, err := rsa.SignPKCS1v15(rand.Reader, priv.(*rsa.PrivateKey), crypto.SHA256, sum[:])
		must(err)
		return sig
	case AlgES256:
		// RFC 7518 §3.4: the signature is R and S as two 32-byte
		// big-endian integers, not ASN.1.
		sum := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, priv.(*ecdsa.PrivateKey), sum[:])
		must(err)
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out
	case AlgEdDSA:
		return ed25519.Sign(priv.(ed25519.PrivateKey), input)
	}
	panic(fmt.Sprintf("issuertest: unsupported algorithm %q", alg))
}

// hmacSHA256 signs input the way an HS256 token is signed.
func hmacSHA256(key, input []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(input)
	return m.Sum(nil)
}

// publicPEM returns the PEM ("PUBLIC KEY", PKIX) encoding of pub: the bytes
// a confused verifier would use as an HMAC secret.
func publicPEM(pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	must(err)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// publicJWK returns the public members of the JWK for pub (RFC 7517 §4,
// RFC 7518 §6, RFC 8037 §2): only the members RFC 7638 §3.2 requires.
func publicJWK(pub crypto.PublicKey) map[string]any {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return map[string]any{
			"kty": "RSA",
			"n":   b64.EncodeToString(k.N.Bytes()),
			"e":   b64.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
		}
	case *ecdsa.PublicKey:
		point, err := k.Bytes() // 0x04 || X || Y, each 32 bytes for P-256
		must(err)
		return map[string]any{
			"kty": "EC",
			"crv": "P-256",
			"x":   b64.EncodeToString(point[1:33]),
			"y":   b64.EncodeToString(point[33:65]),
		}
	case ed25519.PublicKey:
		return map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64.EncodeToString(k)}
	}
	panic(fmt.Sprintf("issuertest: unsupported public key %T", pub))
}

// thumbprint is the RFC 7638 JWK thumbprint of pub, used as its kid:
// SHA-256 over the required members, sorted, without white space, which
// is what encoding/json produces for a map of plain base64url strings.
func thumbprint(pub crypto.PublicKey) string {
	sum := sha256.Sum256(mustJSON(publicJWK(pub)))
	return b64.EncodeToString(sum[:])
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	must(err)
	return b
}

func must(err error) {
	if err != nil {
		panic("issuertest: " + err.Error())
	}
}
