package claimset

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParse checks Parse against encoding/json: on any input, Parse never
// panics, and whenever it accepts, the members it read agree with a plain
// encoding/json decoding of the same object.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"iss":"a","aud":["b","c"],"exp":1800000000,"scope":"x y"}`,
		`{"aud":"b","scp":["x"],"sub":"\u00e9\n","nested":{"a":[1,{"b":"}"}]}}`,
		`{"exp":1e300,"nbf":-1,"iat":0.5}`, `{"iss":"a\"b","iss":"c"}`, `[1]`, `{"a":`, ` {"sub" : "x" } `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		var spared Set
		var spare [2]string
		if err := ParseText(data, string(data), &spared, spare[:]); err != nil {
			t.Fatalf("ParseText with a spare array refused %q, which Parse accepts: %v", data, err)
		}
		if !reflect.DeepEqual(spared.Audience, s.Audience) || !reflect.DeepEqual(spared.Scopes, s.Scopes) {
			t.Fatalf("with a spare array aud %q scopes %q, without %q %q (input %q)", spared.Audience, spared.Scopes, s.Audience, s.Scopes, data)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("Parse accepted %q that encoding/json refuses: %v", data, err)
		}
		for name, got := range map[string]string{"iss": s.Issuer, "sub": s.Subject, "jti": s.ID} {
			var want string
			if raw, ok := m[name]; ok {
				json.Unmarshal(raw, &want)
			}
			if got != want {
				t.Fatalf("%s = %q, encoding/json says %q (input %q)", name, got, want, data)
			}
		}
		var aud any
		if raw, ok := m["aud"]; ok {
			json.Unmarshal(raw, &aud)
		}
		want := []string(nil)
		switch a := aud.(type) {
		case string:
			want = []string{a}
		case []any:
			for _, v := range a {
				want = append(want, v.(string))
			}
		}
		if !reflect.DeepEqual(s.Audience, want) && !(len(s.Audience) == 0 && len(want) == 0) {
			t.Fatalf("aud = %q, encoding/json says %q (input %q)", s.Audience, want, data)
		}
	})
}
