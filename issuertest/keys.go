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
	signFrom time.Time // when a key published ahead starts signing; zero for the others
	retireAt time.Time // zero while the key signs; set when it is replaced
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

// keyring holds a server's keys: for each algorithm the one that signs,
// the keys published ahead of signing, and those still published after a
// rotation. algs[0] signs access tokens; the others sign ID tokens.
type keyring struct {
	algs    []string
	overlap time.Duration // how long a replaced key stays published
	now     func() time.Time

	mu      sync.Mutex             // guards current, pending and keys
	current map[string]*signingKey // by algorithm: signs every new token
	pending []*signingKey          // published, signing from their signFrom
	keys    []*signingKey          // published keys, current and pending included, oldest first
}

func newKeyring(algs []string, overlap time.Duration, now func() time.Time) *keyring {
	r := &keyring{algs: algs, overlap: overlap, now: now, current: map[string]*signingKey{}}
	for _, alg := range algs {
		k := sharedKey(&sharedKeysMu, sharedKeys, alg)
		r.current[alg] = k
		r.keys = append(r.keys, k)
	}
	return r
}

// advance brings the ring to now: a pending key whose time has come
// replaces the signer of its algorithm, which stays published for the
// overlap; keys past their overlap leave. r.mu must be held.
func (r *keyring) advance(now time.Time) {
	slices.SortStableFunc(r.pending, func(a, b *signingKey) int { return a.signFrom.Compare(b.signFrom) })
	for len(r.pending) > 0 && !now.Before(r.pending[0].signFrom) {
		k := r.pending[0]
		r.pending = r.pending[1:]
		r.current[k.alg].retireAt = k.signFrom.Add(r.overlap)
		r.current[k.alg] = k
	}
	r.keys = slices.DeleteFunc(r.keys, func(k *signingKey) bool {
		return !k.retireAt.IsZero() && !now.Before(k.retireAt)
	})
}

// signer returns the key that signs new access tokens.
func (r *keyring) signer() *signingKey { return r.signerFor(r.algs[0]) }

// signerFor returns the key that signs new tokens with alg, which must be
// one of the ring's algorithms.
func (r *keyring) signerFor(alg string) *signingKey {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.advance(now)
	return r.current[alg]
}

// newKeys makes a new key for every algorithm, outside the lock: an RSA
// key takes tens of milliseconds.
func (r *keyring) newKeys() []*signingKey {
	var ks []*signingKey
	for _, alg := range r.algs {
		ks = append(ks, newSigningKey(alg))
	}
	return ks
}

// add publishes new keys, one per algorithm, which sign from after on
// (at once for zero): each replaces the signer of its algorithm then, and
// that one stays published for the overlap. It returns the new access
// token kid and when it starts signing.
func (r *keyring) add(after time.Duration) (string, time.Time) {
	ks := r.newKeys()
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range ks {
		k.signFrom = now.Add(after)
		r.pending = append(r.pending, k)
		r.keys = append(r.keys, k)
	}
	r.advance(now)
	return ks[0].kid, ks[0].signFrom
}

// retire removes a rotated-out or pending key from the JWKS now.
func (r *keyring) retire(kid string) error {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.advance(now)
	for _, k := range r.current {
		if k.kid == kid {
			return fmt.Errorf("issuertest: key %q signs new tokens; rotate before retiring it", kid)
		}
	}
	i := slices.IndexFunc(r.keys, func(k *signingKey) bool { return k.kid == kid })
	if i < 0 {
		return fmt.Errorf("issuertest: no key %s", quote80(kid))
	}
	r.keys = slices.Delete(r.keys, i, i+1)
	r.pending = slices.DeleteFunc(r.pending, func(k *signingKey) bool { return k.kid == kid })
	return nil
}

// published returns the keys in the JWKS now: the signers, the pending
// keys and the rotated keys whose overlap has not ended.
func (r *keyring) published() []*signingKey {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.advance(now)
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
