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
