package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// jwtParts are the header and claims of a compact JWS, read without
// verifying it: for showing, never for deciding.
type jwtParts struct {
	header, claims map[string]any
}

// decodeJWT reads a token's header and claims; parts it cannot read are
// empty.
func decodeJWT(tok string) jwtParts {
	p := jwtParts{header: map[string]any{}, claims: map[string]any{}}
	segs := strings.Split(tok, ".")
	for i, m := range []map[string]any{p.header, p.claims} {
		if i >= len(segs) {
			break
		}
		if b, err := base64.RawURLEncoding.DecodeString(segs[i]); err == nil {
			json.Unmarshal(b, &m)
		}
	}
	return p
}

// headerKid reads the kid of a compact JWS without verifying it.
func headerKid(tok string) string {
	kid, _ := decodeJWT(tok).header["kid"].(string)
	return kid
}

// sideBySide shows the ID token and the access token claim by claim, so
// that "who signed in, for the client" and "what the client may do, at
// the API" are seen, not only told.
func sideBySide(idToken, accessToken string) []string {
	id, at := decodeJWT(idToken), decodeJWT(accessToken)
	rows := [][3]string{
		{"", "ID token: who signed in", "access token: what the client may do"},
		{"typ", show(id.header["typ"]), show(at.header["typ"])},
		{"alg", show(id.header["alg"]), show(at.header["alg"])},
		{"iss", show(id.claims["iss"]), show(at.claims["iss"])},
		{"sub", show(id.claims["sub"]), show(at.claims["sub"])},
		{"aud", show(id.claims["aud"]), show(at.claims["aud"])},
		{"scope", show(id.claims["scope"]), show(at.claims["scope"])},
		{"client_id", show(id.claims["client_id"]) + " (azp " + show(id.claims["azp"]) + ")", show(at.claims["client_id"])},
		{"nonce", show(id.claims["nonce"]), show(at.claims["nonce"])},
		{"at_hash", show(id.claims["at_hash"]), show(at.claims["at_hash"])},
		{"exp", expiry(id.claims), expiry(at.claims)},
	}
	lines := make([]string, 0, len(rows))
	for _, r := range rows {
		lines = append(lines, strings.TrimRight(fmt.Sprintf("%-10s %-36s %s", r[0], r[1], r[2]), " "))
	}
	return lines
}

// show writes a claim's value, or "-" when it is absent.
func show(v any) string {
	switch v := v.(type) {
	case nil:
		return "-"
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

// expiry writes exp as a time of day, with the lifetime from iat.
func expiry(claims map[string]any) string {
	exp, ok1 := claims["exp"].(float64)
	iat, ok2 := claims["iat"].(float64)
	if !ok1 || !ok2 {
		return "-"
	}
	return fmt.Sprintf("%s (%v after iat)", time.Unix(int64(exp), 0).UTC().Format(time.TimeOnly), time.Duration(exp-iat)*time.Second)
}
