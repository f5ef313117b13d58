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

	// RFC 7662 introspection response members.
	Active    *bool  // nil when absent or not a JSON boolean
	ActiveRaw []byte // the "active" member as sent, for error messages
	TokenType string // token_type
}

// wire is the JSON shape; members whose type varies stay raw.
type wire struct {
	Iss      string          `json:"iss"`
	Sub      string          `json:"sub"`
	Aud      json.RawMessage `json:"aud"`
	ClientID string          `json:"client_id"`
	Azp      string          `json:"azp"`
	Scope    json.RawMessage `json:"scope"`
	Scp      json.RawMessage `json:"scp"`
	Exp      json.RawMessage `json:"exp"`
	Nbf      json.RawMessage `json:"nbf"`
	Iat      json.RawMessage `json:"iat"`
	Jti      string          `json:"jti"`
	Nonce    string          `json:"nonce"`
	AtHash   string          `json:"at_hash"`
	CHash    string          `json:"c_hash"`
	Typ      json.RawMessage `json:"typ"`
	Events   json.RawMessage `json:"events"`
	Active   json.RawMessage `json:"active"`
	TokenTyp string          `json:"token_type"`
}

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("claimset: malformed claims")

// Parse decodes data, a JSON object. Raw is set to data itself, not a
// copy: the caller must not modify data afterwards.
func Parse(data []byte) (*Set, error) {
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	s := &Set{
		AuthorizedParty: w.Azp,
		Nonce:           w.Nonce,
		AtHash:          w.AtHash,
		CHash:           w.CHash,
		HasEvents:       !isAbsent(w.Events),
		ActiveRaw:       w.Active,
		TokenType:       w.TokenTyp,
	}
	r := &s.Registered
	r.Issuer, r.Subject, r.ID, r.Raw = w.Iss, w.Sub, w.Jti, data
	r.ClientID = w.ClientID
	if r.ClientID == "" {
		r.ClientID = w.Azp
	}
	var err error
	if r.Audience, err = stringOrArray("aud", w.Aud); err != nil {
		return nil, err
	}
	if r.Scopes, err = scopeClaims(w.Scope, w.Scp); err != nil {
		return nil, err
	}
	if r.ExpiresAt, err = numericDate("exp", w.Exp); err != nil {
		return nil, err
	}
	if r.NotBefore, err = numericDate("nbf", w.Nbf); err != nil {
		return nil, err
	}
	if r.IssuedAt, err = numericDate("iat", w.Iat); err != nil {
		return nil, err
	}
	if len(w.Typ) > 0 && w.Typ[0] == '"' {
		_ = json.Unmarshal(w.Typ, &s.Typ)
	}
	if len(w.Active) > 0 && (string(w.Active) == "true" || string(w.Active) == "false") {
		b := string(w.Active) == "true"
		s.Active = &b
	}
	return s, nil
}

func isAbsent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// stringOrArray decodes a claim that is a string or an array of strings,
// as "aud" is (RFC 7519 §4.1.3).
func stringOrArray(name string, raw json.RawMessage) ([]string, error) {
	if isAbsent(raw) {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrMalformed, name, err)
		}
		return []string{s}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("%w: %q must be a string or an array of strings", ErrMalformed, name)
	}
	return list, nil
}

// scopeClaims reads granted scopes from "scope", a space-delimited string
// (RFC 9068 §2.2.3, RFC 6749 §3.3), or else from "scp", an array of strings
// or a space-delimited string.
func scopeClaims(scope, scp json.RawMessage) ([]string, error) {
	if !isAbsent(scope) {
		var s string
		if err := json.Unmarshal(scope, &s); err != nil {
			return nil, fmt.Errorf("%w: \"scope\" must be a string", ErrMalformed)
		}
		return scopes.Parse(s), nil
	}
	list, err := stringOrArray("scp", scp)
	if err != nil || len(list) != 1 || scp[0] != '"' {
		return list, err
	}
	return scopes.Parse(list[0]), nil
}

// numericDate decodes a NumericDate (RFC 7519 §2): a JSON number of seconds
// since the epoch, possibly fractional. A string is an error. A value too
// large for time.Time is clamped rather than wrapped around.
func numericDate(name string, raw json.RawMessage) (time.Time, error) {
	if isAbsent(raw) {
		return time.Time{}, nil
	}
	if c := raw[0]; c != '-' && (c < '0' || c > '9') {
		return time.Time{}, fmt.Errorf("%w: %q must be a number", ErrMalformed, name)
	}
	f, err := strconv.ParseFloat(string(raw), 64)
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
