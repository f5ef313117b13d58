package introspection

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// SharedCache is a store of introspection results that the replicas of one
// API share, so that N replicas make one call to the authorization server
// for a new token rather than N. It sits behind the in-process cache: a
// process hit never reaches it. Package redisstore has one on Redis.
//
// The store is not trusted to decide anything, nor to keep a secret. The
// Introspector gives it keys that are keyed hashes of tokens (HMAC-SHA-256
// with Config.SharedSecret, never the token, never a plain hash), values
// that are sealed under the same secret (AES-256-GCM: encrypted, and
// authenticated together with their key and lifetime) and bounded in
// size, and tags that are keyed hashes too. A value that fails its seal
// is ignored, and one that passes is read as strictly as a fresh answer
// from the endpoint, with the same checks at the reader's clock.
//
// Every method is safe for concurrent use and must return within the
// context's deadline. An error means the store could not answer now: the
// Introspector then works from its process cache alone (and logs that at
// Warn, at most once per Config.MaxFailureBackoff) until the store answers
// again.
type SharedCache interface {
	// Get returns the value stored under key, or nil and no error when
	// there is none, it has expired, or a Revoke hides it.
	Get(ctx context.Context, key string) ([]byte, error)

	// Set stores value under key for ttl, with tags: a later Revoke of
	// any of them hides it.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration, tags []string) error

	// Lock takes the short lock that lets one replica fill key while the
	// others wait for its value. It returns a function that releases the
	// lock, or nil and no error when another caller holds it. A lock not
	// released expires after ttl.
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error)

	// Revoke hides, for ttl, every value stored with tag before Revoke
	// was called; values stored later are not hidden.
	Revoke(ctx context.Context, tag string, ttl time.Duration) error
}

// TagAll is carried by every shared entry, so that Revoke(ctx, TagAll,
// ttl) hides them all.
const TagAll = "all"

// minSharedSecret is the least Config.SharedSecret holds: the output size
// of the HMAC's hash (RFC 2104 §3).
const minSharedSecret = 32

// maxSharedBody bounds an answer stored in the shared cache; a larger one
// stays in the process cache. It also bounds what a read accepts.
const maxSharedBody = 32 << 10

// Shared entry layout: version, kind, the instant it is good until (Unix
// milliseconds, big-endian), the GCM nonce, then the body encrypted and
// its GCM tag. The header is authenticated with the key the entry is
// stored under.
const (
	sealVersion  = 1
	kindAnswer   = 1 // body is a 200 answer, read again with interpret
	kindRefusal  = 2 // body is the "error" code of a 400 that refused the token
	sealHeader   = 2 + 8
	sealNonce    = 12
	sealOverhead = sealHeader + sealNonce + 16
)

var (
	errSealShort   = errors.New("shorter than its header")
	errSealLong    = errors.New("longer than the bound of the shared cache")
	errSealVersion = errors.New("of an unknown version or kind")
	errSealOpen    = errors.New("seal does not verify: altered, moved from another key, or not written with this Config.SharedSecret")
	errSealExpired = errors.New("expired") // at this replica's clock: a miss, not worth a log line
)

// sharedKeys are the keys derived from Config.SharedSecret, one per
// purpose, so that no value of one kind can stand for another.
type sharedKeys struct {
	key, tag []byte      // HMAC-SHA-256 keys
	seal     cipher.AEAD // AES-256-GCM
}

func deriveKeys(secret []byte) sharedKeys {
	derive := func(purpose string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("tokengate/introspection/shared/" + purpose))
		return m.Sum(nil)
	}
	block, _ := aes.NewCipher(derive("seal")) // 32 bytes: AES-256
	aead, _ := cipher.NewGCM(block)
	return sharedKeys{key: derive("key"), tag: derive("tag"), seal: aead}
}

// keyOf is the shared key of token: the hex HMAC-SHA-256 of the token.
func (s sharedKeys) keyOf(token string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// tagOf is the tag of one claim value: its kind and a keyed hash of the
// value, so that the store learns no subject or client identifier.
func (s sharedKeys) tagOf(kind, value string) string {
	m := hmac.New(sha256.New, s.tag)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return kind + ":" + hex.EncodeToString(m.Sum(nil)[:16])
}

// tags are the tags of an entry: TagAll, its own key, and for an active
// token its subject, client and token identifier.
func (s sharedKeys) tags(key string, v verdict) []string {
	tags := []string{TagAll, key}
	if c := v.claims; c != nil {
		if c.Subject != "" {
			tags = append(tags, s.tagOf("sub", c.Subject))
		}
		if c.ClientID != "" {
			tags = append(tags, s.tagOf("client", c.ClientID))
		}
		if c.ID != "" {
			tags = append(tags, s.tagOf("jti", c.ID))
		}
	}
	return tags
}

// sealEntry builds the value stored under key. The key and the header
// are authenticated with the body, so that an entry cannot be moved to
// another token's key nor its lifetime stretched.
func (s sharedKeys) sealEntry(key string, kind byte, until time.Time, body []byte) []byte {
	out := make([]byte, sealHeader+sealNonce, sealOverhead+len(body))
	out[0], out[1] = sealVersion, kind
	binary.BigEndian.PutUint64(out[2:], uint64(until.UnixMilli()))
	rand.Read(out[sealHeader:]) // crypto/rand.Read never fails
	return s.seal.Seal(out, out[sealHeader:], body, aad(key, out[:sealHeader]))
}

func aad(key string, header []byte) []byte {
	return append([]byte(key), header...)
}

// openEntry checks the value stored under key and returns its parts.
func (s sharedKeys) openEntry(key string, v []byte) (kind byte, until time.Time, body []byte, err error) {
	switch {
	case len(v) < sealOverhead:
		return 0, time.Time{}, nil, errSealShort
	case len(v) > sealOverhead+maxSharedBody:
		return 0, time.Time{}, nil, errSealLong
	case v[0] != sealVersion || (v[1] != kindAnswer && v[1] != kindRefusal):
		return 0, time.Time{}, nil, errSealVersion
	}
	body, err = s.seal.Open(nil, v[sealHeader:sealHeader+sealNonce], v[sealHeader+sealNonce:], aad(key, v[:sealHeader]))
	if err != nil {
		return 0, time.Time{}, nil, errSealOpen
	}
	until = time.UnixMilli(int64(binary.BigEndian.Uint64(v[2:sealHeader])))
	return v[1], until, body, nil
}

// fromShared turns an opened entry into a verdict, checked at now as a
// fresh answer is: the body is decoded strictly and every check of
// interpret applies again, so an entry written by a replica with other
// settings, or grown stale, is judged by this one's rules.
func (i *Introspector) fromShared(kind byte, until time.Time, body []byte, now time.Time, q quoter) (verdict, error) {
	if !now.Before(until) {
		return verdict{}, errSealExpired
	}
	var v verdict
	switch kind {
	case kindRefusal:
		code := string(body)
		if code != "unsupported_token_type" && code != "invalid_token" {
			return verdict{}, fmt.Errorf("refusal code %s is not one the endpoint refuses a token with", quote(code))
		}
		v = refusedByStatus(code)
	default:
		v = i.interpret(body, now, q)
		if v.trips {
			return verdict{}, v.err
		}
	}
	v.notAfter = until
	return v, nil
}
