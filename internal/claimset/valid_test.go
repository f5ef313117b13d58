package claimset

import (
	"encoding/json"
	"strings"
	"testing"
	"unsafe"
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

// TestScanStringSeesEveryByteAtEveryOffset puts each kind of byte that
// ends the eight-at-a-time scan (a quote, a backslash, a control
// character, a byte of 0x80 and above, and the bytes either side of each
// class) at every offset of strings of every length up to 40, so that it
// falls in every lane of a word and in the byte-at-a-time tail: the end,
// validity and plainness scanString reports are those of a scan of one
// byte at a time.
func TestScanStringSeesEveryByteAtEveryOffset(t *testing.T) {
	for _, c := range []byte{'"', '\\', 0x00, 0x1f, 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xc3, 0xff} {
		for n := 0; n <= 40; n++ {
			for at := 0; at < n; at++ {
				body := []byte(strings.Repeat("a", n))
				body[at] = c
				data := `"` + string(body) + `"` + `,"x":1`
				end, plain, ok := scanString(data, 0)
				wantEnd, wantPlain, wantOK := scanStringByteByByte(data, 0)
				if end != wantEnd || plain != wantPlain || ok != wantOK {
					t.Fatalf("byte %#x at %d of %d: scanString = %d, %v, %v; want %d, %v, %v", c, at, n, end, plain, ok, wantEnd, wantPlain, wantOK)
				}
				if ok && wantOK && unquoteIsPlain(data[:end]) != plain {
					t.Fatalf("byte %#x at %d of %d: unquote disagrees on plainness", c, at, n)
				}
			}
		}
	}
}

// scanStringByteByByte is a scan of one byte at a time, written apart from
// scanString: the reference of the test above.
func scanStringByteByByte(data string, i int) (end int, plain, ok bool) {
	if i >= len(data) || data[i] != '"' {
		return i, false, false
	}
	plain = true
	for i++; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			return i + 1, plain, true
		case c < 0x20:
			return i, false, false
		case c >= 0x80:
			plain = false
		case c == '\\': // an escape: one of RFC 8259 §7's, or \u and four hex digits
			plain = false
			i++
			switch {
			case i < len(data) && strings.IndexByte(`"\/bfnrt`, data[i]) >= 0:
			case i+4 < len(data) && data[i] == 'u' && strings.Trim(data[i+1:i+5], "0123456789abcdefABCDEF") == "":
				i += 4
			default:
				return i, false, false
			}
		}
	}
	return i, false, false
}

// unquoteIsPlain reports whether unquote returns raw's bytes between the
// quotes as they are.
func unquoteIsPlain(raw string) bool {
	s, err := unquote(raw)
	if err != nil || len(s) != len(raw)-2 {
		return false
	}
	return len(s) == 0 || unsafe.StringData(s) == unsafe.StringData(raw[1:])
}
