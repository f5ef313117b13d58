package claimset

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Members calls fn with the name and raw value of each member of the JSON
// object data, in order; when a name repeats, fn sees each occurrence and
// the last one wins, as with encoding/json. Names are compared exactly:
// JWT claim and header names are case-sensitive (RFC 7519 §4, RFC 7515
// §4), unlike encoding/json's field matching. data is validated in the
// same pass (see validWalk): fn may have been called for the members
// before a syntax error.
//
// The walk runs over one string copy of data, and names and values are
// substrings of it, so a claim set costs one copy rather than one per
// member.
func Members(raw []byte, fn func(name string, value string) error) error {
	return validWalk(string(raw), func(name, value string, _ bool) error { return fn(name, value) })
}

func skipSpace(data string, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

var errNotString = errors.New("not a string")

// unquote decodes a JSON string. Plain ASCII without escapes, the common
// case, is copied directly; anything else goes through encoding/json.
func unquote(raw string) (string, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", errNotString
	}
	inner := raw[1 : len(raw)-1]
	if skipPlain(inner, 0) != len(inner) {
		var s string
		err := json.Unmarshal([]byte(raw), &s)
		return s, err
	}
	return inner, nil
}

// String decodes raw as a JSON string; null or absent is "".
func String(name string, raw string) (string, error) {
	if isAbsent(raw) {
		return "", nil
	}
	s, err := unquote(raw)
	if err != nil {
		return "", fmt.Errorf("%w: %q must be a string", ErrMalformed, name)
	}
	return s, nil
}

// parseNumber parses a JSON number.
func parseNumber(raw string) (float64, error) {
	return strconv.ParseFloat(raw, 64)
}
