// Package claimset decodes the claims of a JWT payload or an RFC 7662
// introspection response into plain values, once, with strict types and no
// per-request map. The JWT verifier and the introspector both use it, so a
// claim means the same thing whichever way a token was checked.
package claimset

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/tokengate/tokengate/scopes"
)

// Registered has exactly the fields, in the same order and of the same
// types, as verifier.Claims, so that the verifier converts it with a plain
// type conversion: verifier.Claims(set.Registered). A field added to one
// must be added to the other, or the conversion stops compiling.
type Registered struct {
	Issuer    string
	Subject   string
	Audience  []string
	ClientID  string
	Scopes    []string
	ExpiresAt time.Time
	NotBefore time.Time
	IssuedAt  time.Time
	ID        string
	Raw       json.RawMessage
}

// Set is a decoded claim set. Times are zero when the claim is absent or
// null.
type Set struct {
	Registered

	// Claims that tell kinds of token apart.
	AuthorizedParty string // azp
	Nonce           string // OIDC ID token (OIDC Core §2)
	AtHash          string // OIDC ID token
	CHash           string // OIDC ID token (hybrid flow)
	Typ             string // "typ" claim, as Keycloak sets it ("Bearer", "ID", "Refresh")
	HasEvents       bool   // "events" claim: a security event or logout token (RFC 8417)

	// Confirmation is the "cnf" member as sent (RFC 7800 §3.1), "" when
	// absent or null: a token bound to a DPoP key (RFC 9449 §6) or a TLS
	// client certificate (RFC 8705 §3).
	Confirmation string

	// RFC 7662 introspection response members.
	Active    *bool  // nil when absent or not a JSON boolean
	ActiveRaw string // the "active" member as sent, for error messages
	TokenType string // token_type
}

// wire holds the raw values of the members Parse reads; members whose
// type varies are decoded after the walk. plain has the bit of each member
// (a field constant) whose value is a plain string (see validWalk), which
// decodes to the bytes between its quotes without a second look.
type wire struct {
	iss, sub, aud, clientID, azp, scope, scp, exp, nbf, iat, jti string
	nonce, atHash, cHash, typ, events, active, tokenType, cnf    string
	plain                                                        uint32
}

// The bits of wire.plain.
const (
	bitIss = 1 << iota
	bitSub
	bitAud
	bitClientID
	bitAzp
	bitScope
	bitScp
	bitExp
	bitNbf
	bitIat
	bitJti
	bitNonce
	bitAtHash
	bitCHash
	bitTyp
	bitEvents
	bitActive
	bitTokenType
	bitCnf
)

// field returns where the raw value of the member name goes, and its bit,
// or nil for a member Parse does not read.
func (w *wire) field(name string) (*string, uint32) {
	switch name {
	case "iss":
		return &w.iss, bitIss
	case "sub":
		return &w.sub, bitSub
	case "aud":
		return &w.aud, bitAud
	case "client_id":
		return &w.clientID, bitClientID
	case "azp":
		return &w.azp, bitAzp
	case "scope":
		return &w.scope, bitScope
	case "scp":
		return &w.scp, bitScp
	case "exp":
		return &w.exp, bitExp
	case "nbf":
		return &w.nbf, bitNbf
	case "iat":
		return &w.iat, bitIat
	case "jti":
		return &w.jti, bitJti
	case "nonce":
		return &w.nonce, bitNonce
	case "at_hash":
		return &w.atHash, bitAtHash
	case "c_hash":
		return &w.cHash, bitCHash
	case "typ":
		return &w.typ, bitTyp
	case "events":
		return &w.events, bitEvents
	case "active":
		return &w.active, bitActive
	case "token_type":
		return &w.tokenType, bitTokenType
	case "cnf":
		return &w.cnf, bitCnf
	}
	return nil, 0
}

// str decodes the raw value of the member name, of bit, that must be a
// string when present.
func (w *wire) str(name, raw string, bit uint32) (string, error) {
	if w.plain&bit != 0 {
		return raw[1 : len(raw)-1], nil
	}
	return String(name, raw)
}

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("claimset: malformed claims")

// Parse decodes data, a JSON object. Claim names are matched exactly
// (RFC 7519 §4). Raw is set to data itself, not a copy: the caller must not
// modify data afterwards.
func Parse(data []byte) (*Set, error) {
	s := new(Set)
	if err := ParseText(data, string(data), s, nil); err != nil {
		return nil, err
	}
	return s, nil
}

// ParseText is Parse into s, for a caller that holds the claims twice:
// as raw, which becomes Raw, and as text, a string of the same bytes that
// the claim strings are cut from. Parse makes text with one copy of raw; a
// caller that decodes the payload itself can make both in one allocation.
// text must never change (it is a Go string), and raw must not be
// modified afterwards. Audience and Scopes are put in spare's array, one
// after the other, when they fit, so that a caller that allocates spare
// with the claims saves two allocations; each is cut to its length.
func ParseText(raw []byte, text string, s *Set, spare []string) error {
	var w wire
	err := validWalk(text, func(name, value string, plain bool) error {
		if f, bit := w.field(name); f != nil {
			*f = value
			// The last of repeated members wins, plainness included.
			if w.plain &^= bit; plain {
				w.plain |= bit
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	*s = Set{HasEvents: !isAbsent(w.events), ActiveRaw: w.active}
	if !isAbsent(w.cnf) {
		s.Confirmation = w.cnf
	}
	if err := w.strings(s); err != nil {
		return err
	}
	if err := w.registered(&s.Registered, spare[:0]); err != nil {
		return err
	}
	s.Registered.Raw = raw
	if s.ClientID == "" {
		s.ClientID = s.AuthorizedParty
	}
	if len(w.typ) > 0 && w.typ[0] == '"' {
		s.Typ, _ = unquote(w.typ)
	}
	if w.active == "true" || w.active == "false" {
		active := w.active == "true"
		s.Active = &active
	}
	return nil
}

// strings decodes the members that must be strings when present. (Each
// is assigned in turn: a table of pointers into s would move s to the
// heap.)
func (w *wire) strings(s *Set) error {
	var err error
	str := func(name, raw string, bit uint32) string {
		v, e := w.str(name, raw, bit)
		if err == nil {
			err = e
		}
		return v
	}
	s.Issuer, s.Subject, s.ID = str("iss", w.iss, bitIss), str("sub", w.sub, bitSub), str("jti", w.jti, bitJti)
	s.ClientID, s.AuthorizedParty = str("client_id", w.clientID, bitClientID), str("azp", w.azp, bitAzp)
	s.Nonce, s.AtHash, s.CHash = str("nonce", w.nonce, bitNonce), str("at_hash", w.atHash, bitAtHash), str("c_hash", w.cHash, bitCHash)
	s.TokenType = str("token_type", w.tokenType, bitTokenType)
	return err
}

// registered decodes aud, the scopes and the NumericDates; aud and then
// the scopes are appended to spare while they fit.
func (w *wire) registered(r *Registered, spare []string) error {
	var err error
	if w.plain&bitAud != 0 { // the common case: one audience, a plain string
		r.Audience = append(spare, w.aud[1:len(w.aud)-1])
	} else if r.Audience, err = stringOrArray("aud", w.aud, spare); err != nil {
		return err
	}
	r.Audience = clip(r.Audience)
	rest := []string(nil)
	if n := len(r.Audience); n <= cap(spare) {
		rest = spare[n:n]
	}
	if r.Scopes, err = w.scopeClaims(rest); err != nil {
		return err
	}
	r.Scopes = clip(r.Scopes)
	if r.ExpiresAt, err = numericDate("exp", w.exp); err != nil {
		return err
	}
	if r.NotBefore, err = numericDate("nbf", w.nbf); err != nil {
		return err
	}
	r.IssuedAt, err = numericDate("iat", w.iat)
	return err
}

// clip cuts list to its length, so that an append copies it; nil when
// empty.
func clip(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return list[:len(list):len(list)]
}

func isAbsent(raw string) bool {
	return raw == "" || raw == "null"
}

// stringOrArray decodes a claim that is a string or an array of strings,
// as "aud" is (RFC 7519 §4.1.3), appending to dst.
func stringOrArray(name string, raw string, dst []string) ([]string, error) {
	if isAbsent(raw) {
		return dst, nil
	}
	if raw[0] == '"' {
		s, err := String(name, raw)
		return append(dst, s), err
	}
	if raw[0] != '[' {
		return nil, fmt.Errorf("%w: %q must be a string or an array of strings", ErrMalformed, name)
	}
	list := dst
	for i := skipSpace(raw, 1); i < len(raw) && raw[i] != ']'; {
		if raw[i] != '"' {
			return nil, fmt.Errorf("%w: %q must be a string or an array of strings", ErrMalformed, name)
		}
		end, _, ok := scanString(raw, i)
		if !ok {
			return nil, fmt.Errorf("%w: %q must be a string or an array of strings", ErrMalformed, name)
		}
		s, err := unquote(raw[i:end])
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrMalformed, name, err)
		}
		list = append(list, s)
		if i = skipSpace(raw, end); raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return list, nil
}

// scopeClaims reads granted scopes from "scope", a space-delimited string
// (RFC 9068 §2.2.3, RFC 6749 §3.3), or else from "scp", an array of strings
// or a space-delimited string, appending them to dst.
func (w *wire) scopeClaims(dst []string) ([]string, error) {
	if !isAbsent(w.scope) {
		s, err := w.str("scope", w.scope, bitScope)
		if err != nil {
			return nil, err
		}
		return scopes.AppendParse(dst, s), nil
	}
	list, err := stringOrArray("scp", w.scp, dst)
	if err != nil || len(list) != 1 || w.scp[0] != '"' {
		return list, err
	}
	return scopes.AppendParse(dst, list[0]), nil
}

// numericDate decodes a NumericDate (RFC 7519 §2): a JSON number of seconds
// since the epoch, possibly fractional. A string is an error. A value too
// large for time.Time is clamped rather than wrapped around.
func numericDate(name string, raw string) (time.Time, error) {
	if isAbsent(raw) {
		return time.Time{}, nil
	}
	if c := raw[0]; c != '-' && (c < '0' || c > '9') {
		return time.Time{}, fmt.Errorf("%w: %q must be a number", ErrMalformed, name)
	}
	if sec, ok := smallInteger(raw); ok {
		return time.Unix(sec, 0), nil // the common case: whole seconds, well inside the limit below
	}
	f, err := parseNumber(raw)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return time.Time{}, fmt.Errorf("%w: %q must be a number", ErrMalformed, name)
	}
	const limit = 253402300799 // 9999-12-31T23:59:59Z: far enough, and safe to add durations to
	switch {
	case math.IsNaN(f):
		return time.Time{}, fmt.Errorf("%w: %q must be a number", ErrMalformed, name)
	case f >= float64(limit):
		return time.Unix(limit, 0), nil
	case f <= -float64(limit):
		return time.Unix(-limit, 0), nil
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// smallInteger reads raw when it is a non-negative integer of at most 12
// digits (before the year 33658), as NumericDates nearly always are,
// without the float parse.
func smallInteger(raw string) (int64, bool) {
	if len(raw) > 12 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
