// Package revocation carries the news that tokens were revoked to the
// caches that hold their verification results, on every replica of an
// API.
//
// A [Purge] names what to forget: the tokens of one subject or client,
// one token by its "jti", or everything. A [Forgetter] is a cache that
// can forget: *introspection.Introspector is one, and [ForgetAllFunc]
// adapts a cache that can only be emptied, such as the JWT verifier's
// verified-token cache. A [Publisher] takes a purge to every replica:
// [Local] applies it in this process, for a single replica;
// redisstore.Store publishes it on Redis pub/sub, and every replica's
// subscription applies it to its own forgetters.
//
// The events come from the authorization server: package
// revocation/receiver verifies OpenID Connect Back-Channel Logout tokens
// and RFC 8935 pushed Security Event Tokens and publishes the purges they
// call for.
//
// A purge can only make a cache forget, never make it accept: the worst a
// forged purge can do is cost calls to the authorization server.
package revocation

import (
	"context"
	"errors"
	"fmt"

	"github.com/tokengate/tokengate/internal/netpolicy"
)

// Kind is what a [Purge] is about.
type Kind string

// The kinds of purge.
const (
	Subject Kind = "subject"  // the tokens whose "sub" is Value
	Client  Kind = "client"   // the tokens issued to the client Value
	TokenID Kind = "token_id" // the token whose "jti" is Value
	All     Kind = "all"      // every token; Value is empty
)

// MaxValueBytes bounds a purge's Value: subject and client identifiers
// and token IDs are short.
const MaxValueBytes = 512

// Purge asks the caches to forget the results of some tokens.
type Purge struct {
	Kind  Kind   `json:"kind"`
	Value string `json:"value,omitempty"`
}

// ErrInvalidPurge is wrapped by [Purge.Check]'s errors.
var ErrInvalidPurge = errors.New("revocation: invalid purge")

// Check reports whether p is well formed: a known kind, and a value of
// at most MaxValueBytes that is empty exactly for All.
func (p Purge) Check() error {
	switch {
	case p.Kind != Subject && p.Kind != Client && p.Kind != TokenID && p.Kind != All:
		return fmt.Errorf("%w: kind %s is not subject, client, token_id or all", ErrInvalidPurge, netpolicy.Quote(string(p.Kind)))
	case p.Kind == All && p.Value != "":
		return fmt.Errorf("%w: kind all with a value", ErrInvalidPurge)
	case p.Kind != All && p.Value == "":
		return fmt.Errorf("%w: kind %s without a value", ErrInvalidPurge, p.Kind)
	case len(p.Value) > MaxValueBytes:
		return fmt.Errorf("%w: value of %d bytes, want at most %d", ErrInvalidPurge, len(p.Value), MaxValueBytes)
	}
	return nil
}

// Apply makes each of fs forget what p names. A malformed p is ignored.
func (p Purge) Apply(fs ...Forgetter) {
	if p.Check() != nil {
		return
	}
	for _, f := range fs {
		switch p.Kind {
		case Subject:
			f.ForgetSubject(p.Value)
		case Client:
			f.ForgetClient(p.Value)
		case TokenID:
			f.ForgetTokenID(p.Value)
		case All:
			f.ForgetAll()
		}
	}
}

// String describes p for a log line.
func (p Purge) String() string {
	if p.Kind == All {
		return "all"
	}
	return string(p.Kind) + " " + netpolicy.Quote(p.Value)
}

// Forgetter is a cache of verification results that can forget some of
// them before their time. Its methods are safe for concurrent use and
// return once this process no longer serves what they name.
//
// *introspection.Introspector implements it. A cache that can only be
// emptied plugs in through [ForgetAllFunc]; the JWT verifier's
// verified-token cache does so with its purge-all method.
type Forgetter interface {
	ForgetSubject(subject string)
	ForgetClient(clientID string)
	ForgetTokenID(jti string)
	ForgetAll()
}

// ForgetAllFunc adapts a function that empties a cache to a [Forgetter]
// that empties it for every purge: coarse, and always safe.
func ForgetAllFunc(purge func()) Forgetter { return forgetAll(purge) }

type forgetAll func()

func (f forgetAll) ForgetSubject(string) { f() }
func (f forgetAll) ForgetClient(string)  { f() }
func (f forgetAll) ForgetTokenID(string) { f() }
func (f forgetAll) ForgetAll()           { f() }

// Publisher takes a purge to every replica's caches. Publish returns once
// the purge is on its way; an error means some replicas may not get it.
type Publisher interface {
	Publish(ctx context.Context, p Purge) error
}

// Local is a [Publisher] for a single replica: Publish applies the purge
// to fs in this process.
func Local(fs ...Forgetter) Publisher { return local(fs) }

type local []Forgetter

func (l local) Publish(_ context.Context, p Purge) error {
	if err := p.Check(); err != nil {
		return err
	}
	p.Apply(l...)
	return nil
}
