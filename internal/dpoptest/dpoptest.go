// Package dpoptest is the client side of sender-constrained tokens for
// tokengate's tests and examples: DPoP (RFC 9449) keys, their RFC 7638
// thumbprints and proofs, well-formed or deliberately broken, and TLS
// client certificates for RFC 8705. It uses the standard library only
// and shares no code with package dpop, so that tests of one against the
// other catch real bugs. golang.org/x/oauth2 has no DPoP.
package dpoptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"math/big"
	"net"
	"sync/atomic"
	"time"
)

var b64 = base64.RawURLEncoding

// Key is a client's DPoP key pair.
type Key struct {
	Alg    string
	Signer crypto.Signer
	JWK    map[string]any // the public JWK, as a proof header carries it
}

// NewKey generates a key for alg: ES256, ES384, ES512, RS256, PS256 or
// EdDSA. It panics on any other.
func NewKey(alg string) *Key {
	var s crypto.Signer
	var err error
	switch alg {
	case "ES256":
		s, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		s, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		s, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "RS256", "PS256":
		s, err = rsa.GenerateKey(rand.Reader, 2048)
	case "EdDSA":
		_, s, err = ed25519.GenerateKey(rand.Reader)
	default:
		panic("dpoptest: unsupported algorithm " + alg)
	}
	if err != nil {
		panic(err)
	}
	return &Key{Alg: alg, Signer: s, JWK: PublicJWK(s.Public())}
}

// PublicJWK returns the public JWK of pub (RFC 7517, RFC 7518 §6, RFC 8037).
func PublicJWK(pub crypto.PublicKey) map[string]any {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		return map[string]any{
			"kty": "EC", "crv": k.Curve.Params().Name,
			"x": b64.EncodeToString(k.X.FillBytes(make([]byte, size))),
			"y": b64.EncodeToString(k.Y.FillBytes(make([]byte, size))),
		}
	case *rsa.PublicKey:
		return map[string]any{"kty": "RSA", "n": b64.EncodeToString(k.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(k.E)).Bytes())}
	case ed25519.PublicKey:
		return map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64.EncodeToString(k)}
	}
	panic(fmt.Sprintf("dpoptest: no JWK for %T", pub))
}

// JKT returns the key's RFC 7638 thumbprint: SHA-256 of the required
// members in lexicographic order, without white space (§3.2, §3.3).
func (k *Key) JKT() string {
	var members []string
	switch k.JWK["kty"] {
	case "EC":
		members = []string{"crv", "kty", "x", "y"}
	case "RSA":
		members = []string{"e", "kty", "n"}
	case "OKP":
		members = []string{"crv", "kty", "x"}
	}
	canonical := "{"
	for i, m := range members {
		if i > 0 {
			canonical += ","
		}
		canonical += fmt.Sprintf("%q:%q", m, k.JWK[m])
	}
	sum := sha256.Sum256([]byte(canonical + "}"))
	return b64.EncodeToString(sum[:])
}

// Proof describes one DPoP proof. Zero fields get working defaults: a
// fresh jti, iat now.
type Proof struct {
	Method, URL string
	Token       string // the access token, hashed into "ath"; "" for none (a token request)
	Nonce       string
	JTI         string
	IAT         time.Time

	// Header and Claims override members after the defaults are set: a
	// value replaces the member, a nil value removes it.
	Header, Claims map[string]any
}

var counter atomic.Int64

// Sign makes the proof: typ dpop+jwt, alg, jwk; jti, htm, htu, iat, and
// ath and nonce when set (RFC 9449 §4.2).
func (k *Key) Sign(p Proof) string {
	if p.JTI == "" {
		p.JTI = fmt.Sprintf("jti-%d-%d", time.Now().UnixNano(), counter.Add(1))
	}
	if p.IAT.IsZero() {
		p.IAT = time.Now()
	}
	h := map[string]any{"typ": "dpop+jwt", "alg": k.Alg, "jwk": k.JWK}
	c := map[string]any{"jti": p.JTI, "htm": p.Method, "htu": p.URL, "iat": p.IAT.Unix()}
	if p.Token != "" {
		c["ath"] = TokenHash(p.Token)
	}
	if p.Nonce != "" {
		c["nonce"] = p.Nonce
	}
	override(h, p.Header)
	override(c, p.Claims)
	return k.SignJWS(h, c)
}

// SignJWS signs any header and claims with the key, whatever the header's
// "alg" says.
func (k *Key) SignJWS(header, claims map[string]any) string {
	hj, _ := json.Marshal(header)
	cj, _ := json.Marshal(claims)
	input := b64.EncodeToString(hj) + "." + b64.EncodeToString(cj)
	return input + "." + b64.EncodeToString(k.sign([]byte(input)))
}

func (k *Key) sign(input []byte) []byte {
	switch s := k.Signer.(type) {
	case ed25519.PrivateKey:
		return ed25519.Sign(s, input)
	case *ecdsa.PrivateKey:
		size := (s.Curve.Params().BitSize + 7) / 8
		var hf hash.Hash = map[int]hash.Hash{32: sha256.New(), 48: sha512.New384(), 66: sha512.New()}[size]
		hf.Write(input)
		r, sv, err := ecdsa.Sign(rand.Reader, s, hf.Sum(nil))
		if err != nil {
			panic(err)
		}
		return append(r.FillBytes(make([]byte, size)), sv.FillBytes(make([]byte, size))...)
	case *rsa.PrivateKey:
		sum := sha256.Sum256(input)
		var sig []byte
		var err error
		if k.Alg == "PS256" {
			sig, err = rsa.SignPSS(rand.Reader, s, crypto.SHA256, sum[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, s, crypto.SHA256, sum[:])
		}
		if err != nil {
			panic(err)
		}
		return sig
	}
	panic(fmt.Sprintf("dpoptest: cannot sign with %T", k.Signer))
}

// TokenHash is the "ath" of an access token: base64url(SHA-256(token)).
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return b64.EncodeToString(sum[:])
}

func override(m, changes map[string]any) {
	for name, v := range changes {
		if v == nil {
			delete(m, name)
		} else {
			m[name] = v
		}
	}
}

// SignRaw signs a header and claims given as JSON text, for proofs no map
// can express (a member twice).
func (k *Key) SignRaw(headerJSON, claimsJSON string) string {
	input := b64.EncodeToString([]byte(headerJSON)) + "." + b64.EncodeToString([]byte(claimsJSON))
	return input + "." + b64.EncodeToString(k.sign([]byte(input)))
}

// ClientCertificate makes a self-signed TLS client certificate, the kind
// RFC 8705 §2.2 binds tokens to, and returns it with the base64url SHA-256
// thumbprint of its DER, its "x5t#S256".
func ClientCertificate(commonName string) (tls.Certificate, string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(counter.Add(1)),
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		// Also good for a loopback TLS server, trusted as its own root.
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:    []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, b64.EncodeToString(sum[:])
}

// Ed25519Key returns the EdDSA key of a 32-byte seed: the same key in
// every process, as fuzzing's workers need.
func Ed25519Key(seed [ed25519.SeedSize]byte) *Key {
	priv := ed25519.NewKeyFromSeed(seed[:])
	return &Key{Alg: "EdDSA", Signer: priv, JWK: PublicJWK(priv.Public())}
}
