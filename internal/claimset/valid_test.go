package claimset

import (
	"encoding/json"
	"strings"
	"testing"
)

// isObject reports whether valid JSON data is an object.
func isObject(data []byte) bool {
	s := strings.TrimLeft(string(data), " \t\r\n")
	return s != "" && s[0] == '{'
}

// FuzzValidWalkAgreesWithEncodingJSON: the one-pass walk accepts exactly
// the inputs encoding/json's Valid accepts that are objects, and reports
// the members encoding/json decodes, in order and with the same values.
func FuzzValidWalkAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { } `, `{"a":1}`, `{"a":-0.5e+10,"b":[true,false,null,{"c":"\u00e9\n\"\\\/"}]}`,
		`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":"\x01"}`, `{"a":"\q"}`, `{"a":"\u12g4"}`,
		`{"a":[1,]}`, `{"a":{"b":1,}}`, `{"a":1,}`, `{"a" 1}`, `{"a":1}x`, `{"a":1}{}`, `[1]`, `"s"`, `{"a":tru}`,
		`{"a":[}`, `{"a":{]}`, `{"a":1 2}`, `{"a":"` + "\xff\xfe" + `"}`, `{1:2}`, `{"a":[[[[]]]]}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var names, values []string
		err := Members(data, func(name, value string) error {
			names, values = append(names, name), append(values, value)
			return nil
		})
		want := json.Valid(data) && isObject(data)
		if (err == nil) != want {
			t.Fatalf("Members(%q) error = %v; encoding/json: valid object = %v", data, err, want)
		}
		if !want {
			return
		}
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.Token() // {
		for i := 0; dec.More(); i++ {
			name, _ := dec.Token()
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatalf("encoding/json: %v", err)
			}
			if i >= len(names) || names[i] != name.(string) || values[i] != string(raw) {
				t.Fatalf("member %d of %q: walk has %q = %q, encoding/json %q = %q", i, data, at(names, i), at(values, i), name, raw)
			}
		}
	})
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "<none>"
}

// TestValidWalkNestingLimitIsEncodingJSONs: 10,000 levels are accepted,
// 10,001 refused, as by encoding/json; a megabyte of open brackets is
// refused in one linear pass, without recursion.
func TestValidWalkNestingLimitIsEncodingJSONs(t *testing.T) {
	nested := func(levels int) []byte { // the top-level object is one level
		return []byte(`{"a":` + strings.Repeat("[", levels-1) + strings.Repeat("]", levels-1) + `}`)
	}
	for _, levels := range []int{2, 9999, 10000, 10001, 20000} {
		data := nested(levels)
		err := Members(data, func(string, string) error { return nil })
		if want := json.Valid(data); (err == nil) != want || want != (levels <= maxNesting) {
			t.Errorf("%d levels: Members error = %v, encoding/json valid = %v", levels, err, want)
		}
	}
	if err := Members([]byte(`{"a":`+strings.Repeat("[", 1<<20)), func(string, string) error { return nil }); err == nil {
		t.Error("a megabyte of open brackets was accepted")
	}
}

// TestParseTextPutsAudienceAndScopesInSpare: with room, aud and the
// scopes share the caller's array, each cut to its length so that an
// append copies instead of writing over the other; without room they get
// arrays of their own, with the same values.
func TestParseTextPutsAudienceAndScopesInSpare(t *testing.T) {
	data := []byte(`{"aud":["a","b"],"scope":"x y"}`)
	var s Set
	var spare [4]string
	if err := ParseText(data, string(data), &s, spare[:]); err != nil {
		t.Fatal(err)
	}
	if &s.Audience[0] != &spare[0] || &s.Scopes[0] != &spare[2] {
		t.Error("aud and scopes were not put in the spare array")
	}
	if cap(s.Audience) != 2 || cap(s.Scopes) != 2 {
		t.Errorf("cap(aud) = %d, cap(scopes) = %d, want 2 and 2", cap(s.Audience), cap(s.Scopes))
	}
	_ = append(s.Audience, "evil")
	if s.Scopes[0] != "x" {
		t.Errorf("an append to aud wrote over the scopes: %q", s.Scopes)
	}
	var small [3]string
	var t2 Set
	if err := ParseText(data, string(data), &t2, small[:]); err != nil {
		t.Fatal(err)
	}
	if !slicesEqual(t2.Audience, []string{"a", "b"}) || !slicesEqual(t2.Scopes, []string{"x", "y"}) {
		t.Errorf("without room: aud %q, scopes %q", t2.Audience, t2.Scopes)
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestInvalidJSONErrorSaysWhere: a syntax error names the byte offset
// where the JSON stopped being valid, and none of its bytes.
func TestInvalidJSONErrorSaysWhere(t *testing.T) {
	for data, at := range map[string]string{
		`{"a":1,}`:                "at byte 7",
		`{"a" 1}`:                 "at byte 5",
		`{"a":[1,]}`:              "at byte 8",
		`{"secret-value":1}trail`: "at byte 18",
	} {
		err := Members([]byte(data), func(string, string) error { return nil })
		if err == nil || !strings.Contains(err.Error(), at) {
			t.Errorf("Members(%q) error = %v, want it to say %q", data, err, at)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("Members(%q) error = %v quotes the claims", data, err)
		}
	}
}
