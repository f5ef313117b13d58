package tokengate

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"
)

// Claims are the verified claims of an access token, from a JWT payload or
// an introspection response. Handlers read them with [FromContext].
//
// Claims a verifier returns are read-only: copy the struct (c2 := *c) to
// change a field, and a slice (slices.Clone) to change its elements. The
// verifier package's JWT hands every request with the same cached token
// the same *Claims, so that a cache hit allocates nothing; it keeps a copy
// of its own, so a write cannot change what the cache holds, and the next
// hit that finds the shared claims changed hands out a new copy and logs a
// warning, but requests reading them meanwhile see the write. (The
// introspection package's Introspector returns a copy to each caller.)
// Nothing in tokengate writes to claims: the middleware, the gRPC
// interceptors, the scope checks and [Claims.Decode] only read.
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
//
// Names match exactly, at every depth, as claim names are case-sensitive
// (RFC 7519 §4): unlike plain encoding/json, a member "Roles" or "ROLES"
// never fills the field tagged "roles", and an untagged field Roles takes
// only a claim named exactly "Roles": tag fields with the claim's name.
// Decode thus sees the claims the verifier checked, and no look-alike of
// them.
func (c *Claims) Decode(v any) error {
	if len(c.Raw) == 0 {
		return errors.New("tokengate: no raw claims to decode")
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("tokengate: Decode needs a non-nil pointer, got %T", v)
	}
	data, err := exactJSON(c.Raw, rv.Type())
	if err != nil {
		return fmt.Errorf("tokengate: decoding claims: %w", err)
	}
	return json.Unmarshal(data, v)
}
