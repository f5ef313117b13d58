package dpop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"sync/atomic"
	"time"
)

// nonces issues and checks server nonces (RFC 9449 §8, §9) without state:
// a nonce is the number of its time window and a MAC of it, so every
// replica that shares the key accepts the nonces of every other. A nonce
// is accepted in its own window and the next, so it lives between one and
// two lifetimes.
type nonces struct {
	key      []byte
	lifetime time.Duration
	now      func() time.Time
	current  atomic.Pointer[issued] // the nonce of the latest window seen
}

type issued struct {
	window int64
	nonce  string
}

// nonceBytes is the size of a decoded nonce: the window and 16 bytes of
// HMAC-SHA256.
const nonceBytes = 8 + 16

func (n *nonces) window(t time.Time) int64 { return t.UnixNano() / int64(n.lifetime) }

func (n *nonces) make(window int64) string {
	var b [nonceBytes]byte
	binary.BigEndian.PutUint64(b[:8], uint64(window))
	copy(b[8:], n.mac(window))
	return b64.EncodeToString(b[:])
}

func (n *nonces) mac(window int64) []byte {
	h := hmac.New(sha256.New, n.key)
	var w [8]byte
	binary.BigEndian.PutUint64(w[:], uint64(window))
	h.Write([]byte("tokengate dpop nonce\x00"))
	h.Write(w[:])
	return h.Sum(nil)[:16]
}

// Current returns the nonce of the current window, made once per window.
func (n *nonces) Current() string {
	w := n.window(n.now())
	if c := n.current.Load(); c != nil && c.window == w {
		return c.nonce
	}
	c := &issued{window: w, nonce: n.make(w)}
	n.current.Store(c)
	return c.nonce
}

// valid reports whether nonce was issued by this key in the current
// window or the one before.
func (n *nonces) valid(nonce string) bool {
	b, ok := decode(nonce)
	if !ok || len(b) != nonceBytes {
		return false
	}
	w := int64(binary.BigEndian.Uint64(b[:8]))
	if cur := n.window(n.now()); w != cur && w != cur-1 {
		return false
	}
	return hmac.Equal(b[8:], n.mac(w))
}
