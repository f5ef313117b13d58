package jwkscache

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/jwkset"
)

const (
	maxKIDLen      = 256  // longer kids are refused, in tokens and in key sets
	minRSABits     = 2048 // NIST SP 800-131A; RFC 7518 §3.3 asks for 2048 or more
	maxRSABits     = 8192 // bounds the cost of one signature check
	maxSkipReasons = 16   // Status.Skipped keeps this many reasons
)

// keyKind is what a verification key is, as far as alg matching goes.
type keyKind uint8

const (
	kindNone keyKind = iota
	kindRSA
	kindP256
	kindP384
	kindP521
	kindEd25519
)

// algKind returns the kind of key that the JWS alg needs (RFC 7518 §3.1,
// RFC 8037 §3.1), or kindNone for an alg this package never serves a key
// for: HMAC (no symmetric key comes from a remote set), "none", encryption
// algorithms, unknown names.
func algKind(alg string) keyKind {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return kindRSA
	case "ES256":
		return kindP256
	case "ES384":
		return kindP384
	case "ES512":
		return kindP521
	case "EdDSA", "Ed25519": // RFC 9864 §2: Ed25519 is the fully specified name
		return kindEd25519
	}
	return kindNone
}

// signingAlgs lists the algs algKind knows, to precompute no-kid lookups.
var signingAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}

// key is one usable verification key. It is immutable once built.
type key struct {
	kid  string
	alg  string // the JWK's "alg", or "" when it declares none
	kind keyKind
	pub  any // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// fits reports whether k may verify a token signed with alg, whose key kind
// is kind. RFC 7517 §4.4: a JWK's "alg" names the one algorithm it is for.
// On an Ed25519 key, "EdDSA" and "Ed25519" name the same algorithm
// (RFC 9864 §2 deprecates the first for the second), so either fits the
// other.
func (k *key) fits(alg string, kind keyKind) bool {
	return k.kind == kind && (k.alg == "" || k.alg == alg || kind == kindEd25519)
}

// keySet is an immutable snapshot of one good fetch. Lookups read it without
// locks; a refresh builds a new one and swaps the pointer.
type keySet struct {
	byKID   map[string][]*key // several keys may share a kid if their types differ (RFC 7517 §4.5)
	single  map[string]*key   // alg -> the one key without kid fitting it, for tokens without kid
	kids    []string          // sorted, for Status
	skipped []string          // why keys of the document were not used, at most maxSkipReasons
	gen     uint64            // counts good fetches; tags negative-cache entries

	fetched    time.Time // when the fetch that built it finished
	freshUntil time.Time // fetched + refresh interval: after it, the set is stale
	usableTill time.Time // freshUntil + MaxStaleness: after it, Key says ErrUnavailable
}

// usable reports whether s may serve keys at now. It is nil-safe.
func (s *keySet) usable(now time.Time) bool {
	return s != nil && !now.After(s.usableTill)
}

// lookup returns the key for kid and alg, errUnknownKID when kid is not in
// the set at all, or ErrAlgMismatch when it is but fits no key.
func (s *keySet) lookup(kid, alg string, kind keyKind) (any, error) {
	if kid == "" {
		if k := s.single[alg]; k != nil {
			return k.pub, nil
		}
		return nil, errNoKIDAmbiguous
	}
	ks, ok := s.byKID[kid]
	if !ok {
		return nil, errUnknownKID
	}
	for _, k := range ks {
		if k.fits(alg, kind) {
			return k.pub, nil
		}
	}
	return nil, ErrAlgMismatch
}

// entriesPerKey bounds how many entries of a document are examined at all,
// as a multiple of MaxKeys: the cost of a fetch stays bounded however many
// entries a document of MaxBodyBytes packs.
const entriesPerKey = 4

// parseKeySet builds a keySet from a JWK Set document (RFC 7517 §5). Keys
// that cannot be parsed or are not fit for signature verification are
// skipped, as RFC 7517 §5 asks ("implementations SHOULD ignore JWKs within
// a JWK Set that use "kty" values that are not understood"); at most
// maxKeys usable keys are kept, in document order, and at most
// entriesPerKey×maxKeys entries are examined: the rest of the document is
// not read. A document with no usable key is an error.
func parseKeySet(body []byte, maxKeys int) (*keySet, error) {
	entries, more, err := keyEntries(body, entriesPerKey*maxKeys)
	if err != nil {
		return nil, err
	}
	s := &keySet{byKID: make(map[string][]*key), single: make(map[string]*key)}
	if more {
		s.skip(fmt.Sprintf("entries from %d on: not examined (at most 4×MaxKeys are)", len(entries)))
	}
	var all []*key
	for i, raw := range entries {
		if len(all) == maxKeys {
			s.skip(fmt.Sprintf("entries from %d on: past the first %d usable keys (MaxKeys)", i, maxKeys))
			break
		}
		k, reason := parseKey(raw)
		if k == nil {
			s.skip(fmt.Sprintf("key %d: %s", i, reason))
			continue
		}
		all = append(all, k)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("jwkscache: key set has no usable key (%d entries examined)", len(entries))
	}
	s.index(all)
	return s, nil
}

// keyEntries reads the "keys" array of a JWK Set document, at most limit
// entries of it, each kept raw so that one malformed key cannot fail the
// others. more reports entries past the limit, which are not read.
func keyEntries(body []byte, limit int) (entries []json.RawMessage, more bool, err error) {
	if !json.Valid(body) {
		return nil, false, errors.New("jwkscache: key set is not a JWK Set document: not valid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false, errors.New("jwkscache: key set is not a JWK Set document: not a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false, fmt.Errorf("jwkscache: key set is not a JWK Set document: %w", err)
		}
		if name, _ := t.(string); name != "keys" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, false, fmt.Errorf("jwkscache: key set is not a JWK Set document: %w", err)
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return nil, false, errors.New(`jwkscache: key set document's "keys" is not an array`)
		}
		entries = []json.RawMessage{}
		for dec.More() {
			if len(entries) == limit {
				return entries, true, nil
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, false, fmt.Errorf("jwkscache: key set entry %d is not JSON: %w", len(entries), err)
			}
			entries = append(entries, raw)
		}
		return entries, false, nil
	}
	return nil, false, errors.New(`jwkscache: key set document has no "keys" array`)
}

func (s *keySet) skip(reason string) {
	if len(s.skipped) < maxSkipReasons {
		s.skipped = append(s.skipped, reason)
	}
}

// kidList names at most five of the kids held, for error messages.
func (s *keySet) kidList() string {
	const most = 5
	if len(s.kids) == 0 {
		return "no named keys"
	}
	var b strings.Builder
	for i, kid := range s.kids[:min(len(s.kids), most)] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(kid))
	}
	if len(s.kids) > most {
		fmt.Fprintf(&b, " and %d more", len(s.kids)-most)
	}
	return b.String()
}

// index fills byKID, kids and single from the usable keys.
func (s *keySet) index(all []*key) {
	for _, k := range all {
		if k.kid == "" {
			continue
		}
		if _, seen := s.byKID[k.kid]; !seen {
			s.kids = append(s.kids, k.kid)
		}
		s.byKID[k.kid] = append(s.byKID[k.kid], k)
	}
	slices.Sort(s.kids)
	for _, alg := range signingAlgs {
		var found *key
		n := 0
		for _, k := range all {
			if k.kid == "" && k.fits(alg, algKind(alg)) {
				found, n = k, n+1
			}
		}
		if n == 1 {
			s.single[alg] = found
		}
	}
}

// parseKey turns one JWK into a usable key, or says why it is not one.
// The reasons name parameters only: they never quote key material.
func parseKey(raw json.RawMessage) (*key, string) {
	var m jwkset.JWKMarshal
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, "not a JWK object"
	}
	if reason := unfitForVerification(&m); reason != "" {
		return nil, reason
	}
	m.X5U = "" // never fetched nor used; jwkset would refuse a non-https one
	j, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{SkipKeyOps: true})
	if err != nil {
		return nil, fmt.Sprintf("kid %.64q: cannot be parsed: %v", m.KID, err)
	}
	kind, reason := classify(j.Key())
	if kind == kindNone {
		return nil, fmt.Sprintf("kid %.64q: %s", m.KID, reason)
	}
	if m.ALG != "" && algKind(string(m.ALG)) != kind {
		return nil, fmt.Sprintf("kid %.64q: alg %.16q does not fit the key type", m.KID, m.ALG)
	}
	return &key{kid: m.KID, alg: string(m.ALG), kind: kind, pub: j.Key()}, ""
}

// unfitForVerification applies the checks that need only the JWK's
// parameters. It returns "" for a key worth parsing.
func unfitForVerification(m *jwkset.JWKMarshal) string {
	switch {
	case len(m.KID) > maxKIDLen:
		return fmt.Sprintf("kid longer than %d bytes", maxKIDLen)
	case m.USE != "" && m.USE != jwkset.UseSig: // RFC 7517 §4.2
		return fmt.Sprintf("kid %.64q: use is %.16q, not sig", m.KID, m.USE)
	case m.KEYOPS != nil && !slices.Contains(m.KEYOPS, jwkset.KeyOpsVerify): // RFC 7517 §4.3
		return fmt.Sprintf("kid %.64q: key_ops lacks verify", m.KID)
	case m.KTY == jwkset.KtyOct:
		return fmt.Sprintf("kid %.64q: symmetric (oct) key in a remote key set", m.KID)
	case m.KTY != jwkset.KtyRSA && m.KTY != jwkset.KtyEC && m.KTY != jwkset.KtyOKP:
		return fmt.Sprintf("kid %.64q: unsupported kty %.16q", m.KID, m.KTY)
	case hasPrivateMaterial(m):
		// A private key served from a public URL is compromised: anyone
		// could sign with it. The key is skipped, not trimmed to its
		// public half.
		return fmt.Sprintf("kid %.64q: contains private key material", m.KID)
	case m.ALG != "" && algKind(string(m.ALG)) == kindNone:
		return fmt.Sprintf("kid %.64q: alg %.16q is not a supported signature algorithm", m.KID, m.ALG)
	}
	return ""
}

func hasPrivateMaterial(m *jwkset.JWKMarshal) bool {
	return m.D != "" || m.P != "" || m.Q != "" || m.DP != "" || m.DQ != "" || m.QI != "" || len(m.OTH) > 0 || m.K != ""
}

// classify checks the parsed public key against the strength rules and says
// which algorithms' keys it can be.
func classify(pub any) (keyKind, string) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		switch bits := k.N.BitLen(); {
		case bits < minRSABits:
			return kindNone, fmt.Sprintf("RSA modulus of %d bits, under %d", bits, minRSABits)
		case bits > maxRSABits:
			return kindNone, fmt.Sprintf("RSA modulus of %d bits, over %d", bits, maxRSABits)
		case k.E < 3 || k.E%2 == 0 || k.E > math.MaxInt32:
			return kindNone, "RSA public exponent out of range"
		}
		return kindRSA, ""
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return kindP256, ""
		case elliptic.P384():
			return kindP384, ""
		case elliptic.P521():
			return kindP521, ""
		}
		return kindNone, "unsupported elliptic curve"
	case ed25519.PublicKey:
		if len(k) == ed25519.PublicKeySize {
			return kindEd25519, ""
		}
		return kindNone, "bad Ed25519 key size"
	}
	return kindNone, fmt.Sprintf("unsupported key type %T", pub)
}
