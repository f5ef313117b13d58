package verifier

import (
	"encoding/json"
	"errors"
	"time"
)

// Claims are the verified claims of an access token, from a JWT payload or
// an introspection response. Handlers read them with [FromContext].
type Claims struct {
	Issuer    string    // iss
	Subject   string    // sub
	Audience  []string  // aud, a string or an array in the token
	ClientID  string    // client_id (RFC 9068 §2.2), else azp
	Scopes    []string  // from "scope" (space-delimited) or "scp" (array or string)
	ExpiresAt time.Time // exp
	NotBefore time.Time // nbf; zero when absent
	IssuedAt  time.Time // iat; zero when absent
	ID        string    // jti

	// Raw holds every claim exactly as received: the JWT payload or the
	// introspection response. Use [Claims.Decode] to read custom claims.
	Raw json.RawMessage
}

// Decode unmarshals the raw claims into v, a pointer to a struct or a map,
// so that custom claims (roles, tenant, ...) can be read:
//
//	var extra struct{ Roles []string `json:"roles"` }
//	err := claims.Decode(&extra)
func (c *Claims) Decode(v any) error {
	if len(c.Raw) == 0 {
		return errors.New("verifier: no raw claims to decode")
	}
	return json.Unmarshal(c.Raw, v)
}

// HasAudience reports whether aud is one of the token's audiences.
func (c *Claims) HasAudience(aud string) bool {
	for _, a := range c.Audience {
		if a == aud {
			return true
		}
	}
	return false
}
