package jwkscache

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Set is a fixed set of verification keys, from a JWK Set document or from
// keys in hand: a key source for an API whose issuer's keys are configured
// rather than fetched. Its lookups follow the same rules as a [Cache]'s.
// It is immutable and safe for concurrent use.
type Set struct {
	s *keySet
}

// ParseSet reads a JWK Set document (RFC 7517 §5) with the rules of a
// fetched one (see the package documentation): unusable keys are skipped,
// and at most defaultMaxKeys usable keys are kept. A document with no
// usable key is an error.
func ParseSet(doc []byte) (*Set, error) {
	s, err := parseKeySet(doc, defaultMaxKeys)
	if err != nil {
		return nil, err
	}
	return &Set{s: s}, nil
}

// NewSet builds a Set from public keys by kid: *rsa.PublicKey (2048 to
// 8192 bits), *ecdsa.PublicKey on P-256, P-384 or P-521, or
// ed25519.PublicKey. The kid "" holds a key for tokens without kid. Each key
// serves every algorithm of its type (RS* and PS* for RSA, the ES* of its
// curve, EdDSA and Ed25519).
func NewSet(keys map[string]crypto.PublicKey) (*Set, error) {
	if len(keys) == 0 {
		return nil, errors.New("jwkscache: NewSet needs at least one key")
	}
	var all []*key
	for _, kid := range slices.Sorted(maps.Keys(keys)) {
		if len(kid) > maxKIDLen {
			return nil, fmt.Errorf("jwkscache: kid %s is longer than %d bytes", quote(kid), maxKIDLen)
		}
		kind, reason := classify(keys[kid])
		if kind == kindNone {
			return nil, fmt.Errorf("jwkscache: key %s: %s", quote(kid), reason)
		}
		all = append(all, &key{kid: kid, kind: kind, pub: keys[kid]})
	}
	s := &keySet{byKID: make(map[string][]*key), single: make(map[string]*key), usableTill: maxTime}
	s.index(all)
	return &Set{s: s}, nil
}

// maxTime is a time after any clock's: a Set never goes stale.
var maxTime = time.Unix(1<<62, 0)

// PublicKeyFromPEM returns the public key of the first PEM block of data,
// a "PUBLIC KEY" (PKIX) or a "CERTIFICATE", for [NewSet].
func PublicKeyFromPEM(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("jwkscache: no PEM block found")
	}
	switch block.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		return cert.PublicKey, nil
	}
	return nil, fmt.Errorf("jwkscache: PEM block %s is neither a PUBLIC KEY nor a CERTIFICATE", quote(block.Type))
}

// Key returns the key for kid and alg, with the errors of [Cache.Key] for a
// token at fault; a Set is never unavailable.
func (s *Set) Key(_ context.Context, kid, alg string) (any, error) {
	kind, err := checkLookup(kid, alg)
	if err != nil {
		return nil, err
	}
	k, err := s.s.lookup(kid, alg, kind)
	if errors.Is(err, errUnknownKID) {
		return nil, unknownKID(kid, s.s)
	}
	return k, err
}

// KIDs lists the key IDs of the set, sorted; keys without kid are not
// listed.
func (s *Set) KIDs() []string { return slices.Clone(s.s.kids) }

// Skipped says why keys of the document were not used (at most 16 reasons).
func (s *Set) Skipped() []string { return slices.Clone(s.s.skipped) }
