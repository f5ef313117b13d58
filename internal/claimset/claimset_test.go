package claimset

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		json  string
		check func(t *testing.T, s *Set)
	}{
		{name: "aud as string (RFC 7519 §4.1.3)", json: `{"aud":"a"}`, check: func(t *testing.T, s *Set) {
			if !reflect.DeepEqual(s.Audience, []string{"a"}) {
				t.Errorf("Audience = %q", s.Audience)
			}
		}},
		{name: "aud as array", json: `{"aud":["a","b"]}`, check: func(t *testing.T, s *Set) {
			if !reflect.DeepEqual(s.Audience, []string{"a", "b"}) {
				t.Errorf("Audience = %q", s.Audience)
			}
		}},
		{name: "scope string (RFC 9068 §2.2.3)", json: `{"scope":"a b","scp":["x"]}`, check: func(t *testing.T, s *Set) {
			if !reflect.DeepEqual(s.Scopes, []string{"a", "b"}) {
				t.Errorf("Scopes = %q, want scope to win over scp", s.Scopes)
			}
		}},
		{name: "scp array", json: `{"scp":["a","b"]}`, check: func(t *testing.T, s *Set) {
			if !reflect.DeepEqual(s.Scopes, []string{"a", "b"}) {
				t.Errorf("Scopes = %q", s.Scopes)
			}
		}},
		{name: "scp string", json: `{"scp":"a b"}`, check: func(t *testing.T, s *Set) {
			if !reflect.DeepEqual(s.Scopes, []string{"a", "b"}) {
				t.Errorf("Scopes = %q", s.Scopes)
			}
		}},
		{name: "client_id wins over azp", json: `{"client_id":"c","azp":"z"}`, check: func(t *testing.T, s *Set) {
			if s.ClientID != "c" || s.AuthorizedParty != "z" {
				t.Errorf("ClientID = %q, AuthorizedParty = %q", s.ClientID, s.AuthorizedParty)
			}
		}},
		{name: "azp when no client_id", json: `{"azp":"z"}`, check: func(t *testing.T, s *Set) {
			if s.ClientID != "z" {
				t.Errorf("ClientID = %q", s.ClientID)
			}
		}},
		{name: "fractional NumericDate (RFC 7519 §2)", json: `{"exp":1800000000.5}`, check: func(t *testing.T, s *Set) {
			if want := time.Unix(1800000000, 5e8); !s.ExpiresAt.Equal(want) {
				t.Errorf("ExpiresAt = %v, want %v", s.ExpiresAt, want)
			}
		}},
		{name: "null exp is absent", json: `{"exp":null}`, check: func(t *testing.T, s *Set) {
			if !s.ExpiresAt.IsZero() {
				t.Errorf("ExpiresAt = %v, want zero", s.ExpiresAt)
			}
		}},
		{name: "huge exp is clamped", json: `{"exp":1e300}`, check: func(t *testing.T, s *Set) {
			if s.ExpiresAt.Before(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("ExpiresAt = %v, want far future", s.ExpiresAt)
			}
		}},
		{name: "ID token markers", json: `{"nonce":"n","at_hash":"h","c_hash":"c","typ":"ID","events":{}}`, check: func(t *testing.T, s *Set) {
			if s.Nonce != "n" || s.AtHash != "h" || s.CHash != "c" || s.Typ != "ID" || !s.HasEvents {
				t.Errorf("markers = %+v", s)
			}
		}},
		{name: "active true (RFC 7662 §2.2)", json: `{"active":true,"token_type":"access_token"}`, check: func(t *testing.T, s *Set) {
			if s.Active == nil || !*s.Active || s.TokenType != "access_token" {
				t.Errorf("Active = %v, TokenType = %q", s.Active, s.TokenType)
			}
		}},
		{name: "active as string is not a boolean", json: `{"active":"true"}`, check: func(t *testing.T, s *Set) {
			if s.Active != nil {
				t.Errorf("Active = %v, want nil", *s.Active)
			}
		}},
		{name: "Raw is the input", json: `{"x":1}`, check: func(t *testing.T, s *Set) {
			if string(s.Raw) != `{"x":1}` {
				t.Errorf("Raw = %s", s.Raw)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.json))
			if err != nil {
				t.Fatalf("Parse(%s) error = %v", tt.json, err)
			}
			tt.check(t, s)
		})
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	for _, in := range []string{
		`not json`, `[]`, `{"iss":1}`, `{"aud":1}`, `{"aud":[1]}`, `{"exp":"1800000000"}`,
		`{"exp":true}`, `{"nbf":{}}`, `{"iat":[]}`, `{"scope":["a"]}`, `{"scp":1}`, `{"sub":null,"jti":7}`,
	} {
		if _, err := Parse([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%s) error = %v, want %v", in, err, ErrMalformed)
		}
	}
}

func TestClaimNamesAreCaseSensitive(t *testing.T) {
	// RFC 7519 §4: "ISS" is not "iss". encoding/json would match it.
	s, err := Parse([]byte(`{"ISS":"https://evil","Aud":"api","iss":"https://good","Scope":"admin"}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Issuer != "https://good" || s.Audience != nil || s.Scopes != nil {
		t.Errorf("Parse() = iss %q aud %q scopes %q, want only the exact names read", s.Issuer, s.Audience, s.Scopes)
	}
}

func TestDuplicateNamesLastWins(t *testing.T) {
	s, err := Parse([]byte(`{"sub":"a","sub":"b"}`))
	if err != nil || s.Subject != "b" {
		t.Fatalf("Parse() = %q, %v; want the last sub, as encoding/json", s.Subject, err)
	}
}

func TestLookupAndStrings(t *testing.T) {
	data := []byte(`{"a":{"b":{"c":["x",1,"y"]}},"o":{"k1":1,"k2":{}},"s":"one","a2":{"b":2},"d":1,"d":2}`)
	tests := []struct {
		path  []string
		raw   string
		found bool
	}{
		{[]string{"a", "b", "c"}, `["x",1,"y"]`, true},
		{[]string{"a", "x"}, "", false},
		{[]string{"a2", "b", "c"}, "", false},
		{[]string{"d"}, "2", true}, // the last of a repeated name, as Parse
		{nil, "", false},
	}
	for _, tt := range tests {
		raw, found, err := Lookup(data, tt.path...)
		if err != nil || raw != tt.raw || found != tt.found {
			t.Errorf("Lookup(%q) = %q, %v, %v; want %q, %v", tt.path, raw, found, err, tt.raw, tt.found)
		}
	}
	for raw, want := range map[string][]string{
		`["x",1,"y",{"z":1},["w"]]`: {"x", "y"},
		`{"k1":1,"k2":{}}`:          {"k1", "k2"},
		`"one"`:                     {"one"},
		`1`:                         nil,
		`[]`:                        nil,
	} {
		if got := Strings(raw); !slices.Equal(got, want) {
			t.Errorf("Strings(%s) = %q, want %q", raw, got, want)
		}
	}
	if _, _, err := Lookup([]byte(`{"a":`), "a"); err == nil {
		t.Error("Lookup(malformed) error = nil")
	}
}
