package issuertest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"slices"
	"sync"
	"time"
)

// A signingKey is one private key of the server and its published form.
type signingKey struct {
	kid      string
	alg      string
	priv     crypto.Signer
	retireAt time.Time // zero while the key signs; set when it is rotated out
}

func (k *signingKey) public() crypto.PublicKey { return k.priv.Public() }

// newSigningKey generates a fresh key for alg. An RSA-2048 key takes tens
// of milliseconds.
func newSigningKey(alg string) *signingKey {
	var (
		priv crypto.Signer
		err  error
	)
	switch alg {
	case AlgRS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case AlgEdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		panic(fmt.Sprintf("issuertest: unsupported signing algorithm %q", alg))
	}
	must(err)
	return &signingKey{kid: thumbprint(priv.Public()), alg: alg, priv: priv}
}

// Process-wide keys, made on first use. Every server of a process starts
// with the same signing key for its algorithm, so that starting a server
// costs no key generation; keys made by RotateKey are new. The foreign keys
// sign the "not in the JWKS" tokens and are never published.
var (
	sharedKeysMu  sync.Mutex // guards sharedKeys
	sharedKeys    = map[string]*signingKey{}
	foreignKeysMu sync.Mutex // guards foreignKeys
	foreignKeys   = map[string]*signingKey{}
)

func sharedKey(mu *sync.Mutex, keys map[string]*signingKey, alg string) *signingKey {
	mu.Lock()
	defer mu.Unlock()
	k, ok := keys[alg]
	if !ok {
		k = newSigningKey(alg)
		keys[alg] = k
	}
	// Each server gets its own copy, as it sets retireAt on rotation.
	c := *k
	return &c
}

// keyring holds a server's keys: the one that signs, and those still
// published after a rotation.
type keyring struct {
	alg     string
	overlap time.Duration
	now     func() time.Time

	mu      sync.Mutex    // guards current and keys
	current *signingKey   // signs every new token
	keys    []*signingKey // published keys, current included, oldest first
}

func newKeyring(alg string, overlap time.Duration, now func() time.Time) *keyring {
	k := sharedKey(&sharedKeysMu, sharedKeys, alg)
	return &keyring{alg: alg, overlap: overlap, now: now, current: k, keys: []*signingKey{k}}
}

// signer returns the key that signs new tokens.
func (r *keyring) signer() *signingKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current
}

// rotate makes a new key the signer at once and schedules the old one to
// leave the JWKS after the overlap. It returns the new kid.
func (r *keyring) rotate() string {
	k := newSigningKey(r.alg) // outside the lock: it is slow
	r.mu.Lock()
	defer r.mu.Unlock()
	r.current.retireAt = r.now().Add(r.overlap)
	r.current = k
	r.keys = append(r.keys, k)
	return k.kid
}

// retire removes a rotated-out key from the JWKS now.
func (r *keyring) retire(kid string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.current.kid == kid {
		return fmt.Errorf("issuertest: key %q signs new tokens; rotate before retiring it", kid)
	}
	i := slices.IndexFunc(r.keys, func(k *signingKey) bool { return k.kid == kid })
	if i < 0 {
		return fmt.Errorf("issuertest: no key %q", kid)
	}
	r.keys = slices.Delete(r.keys, i, i+1)
	return nil
}

// published returns the keys in the JWKS now: the signer and the rotated
// keys whose overlap has not ended. Keys past their overlap are dropped.
func (r *keyring) published() []*signingKey {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = slices.DeleteFunc(r.keys, func(k *signingKey) bool {
		return !k.retireAt.IsZero() && !now.Before(k.retireAt)
	})
	return slices.Clone(r.keys)
}

// jwks is the JSON Web Key Set document (RFC 7517 §5) of the published keys.
func (r *keyring) jwks() map[string]any {
	keys := []map[string]any{}
	for _, k := range r.published() {
		jwk := publicJWK(k.public())
		jwk["kid"] = k.kid
		jwk["alg"] = k.alg
		jwk["use"] = "sig"
		keys = append(keys, jwk)
	}
	return map[string]any{"keys": keys}
}

// RotateKey makes a new key (of the server's algorithm) and returns its
// kid. The new key signs every token from now on and is published at once;
// the old key stays in the JWKS for the overlap of [WithKeyOverlap], then
// leaves it, so that tokens it signed verify until then. Generating an RSA
// key takes tens of milliseconds.
func (s *Server) RotateKey() string { return s.keys.rotate() }

// RetireKey removes a rotated-out key from the JWKS now, before its overlap
// ends: tokens it signed stop verifying at a verifier that refetches the
// JWKS. It panics if kid is unknown or is the current signing key.
func (s *Server) RetireKey(kid string) {
	if err := s.keys.retire(kid); err != nil {
		panic(err.Error())
	}
}

// SigningKeyID returns the kid of the key that signs new tokens.
func (s *Server) SigningKeyID() string { return s.keys.signer().kid }

// KeyIDs returns the kids in the JWKS now, oldest first.
func (s *Server) KeyIDs() []string {
	var kids []string
	for _, k := range s.keys.published() {
		kids = append(kids, k.kid)
	}
	return kids
}

// PublicKey returns the public key of a published kid (an *rsa.PublicKey,
// *ecdsa.PublicKey or ed25519.PublicKey), or nil.
func (s *Server) PublicKey(kid string) crypto.PublicKey {
	for _, k := range s.keys.published() {
		if k.kid == kid {
			return k.public()
		}
	}
	return nil
}
