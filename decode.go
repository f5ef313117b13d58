package tokengate

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	"github.com/tokengate/tokengate/internal/claimset"
)

// Claim names are case-sensitive (RFC 7519 §4), but encoding/json matches
// an object member to a struct field case-insensitively when no field has
// the exact name: decoding {"sub":"alice","SUB":"admin"} into a struct with
// a `json:"sub"` field yields "admin", although the verifier read "alice".
// exactJSON therefore rewrites the claims for the type they are decoded
// into, keeping in each object bound to a struct only the members whose
// names are exactly a field's, so that Decode sees the claims the verifier
// checked and nothing that merely resembles them.

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// exactJSON returns data with every member that encoding/json would bind
// to a field of t by a case-insensitive match removed, at every depth.
// Types with their own UnmarshalJSON or UnmarshalText get their value as
// it is.
func exactJSON(data []byte, t reflect.Type) ([]byte, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return data, nil
	}
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) == 0:
		return data, nil
	case t.Kind() == reflect.Struct && trimmed[0] == '{':
		return exactObject(trimmed, fieldsOf(t))
	case t.Kind() == reflect.Map && trimmed[0] == '{':
		return exactMap(trimmed, t.Elem())
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && trimmed[0] == '[':
		return exactArray(trimmed, t.Elem())
	}
	return data, nil
}

// exactObject keeps the members of an object bound to a struct whose names
// are exactly those of its fields, each rewritten for its field's type.
func exactObject(data []byte, fields map[string]reflect.Type) ([]byte, error) {
	return exactMembers(data, func(name string) (reflect.Type, bool) {
		t, ok := fields[name] // an unknown name, or a case-insensitive match, is never bound
		return t, ok
	})
}

// exactMap rewrites each value of an object decoded into a map, whose keys
// encoding/json already takes exactly.
func exactMap(data []byte, elem reflect.Type) ([]byte, error) {
	return exactMembers(data, func(string) (reflect.Type, bool) { return elem, true })
}

// exactMembers rebuilds the object data from the members that typeOf
// keeps, each value rewritten for the type typeOf gives it.
func exactMembers(data []byte, typeOf func(name string) (reflect.Type, bool)) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	err := claimset.Members(data, func(name, value string) error {
		t, ok := typeOf(name)
		if !ok {
			return nil
		}
		v, err := exactJSON([]byte(value), t)
		if err != nil {
			return err
		}
		writeMember(&b, name, v)
		return nil
	})
	b.WriteByte('}')
	return b.Bytes(), err
}

// exactArray rewrites each element of an array.
func exactArray(data []byte, elem reflect.Type) ([]byte, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	for i, r := range raw {
		v, err := exactJSON(r, elem)
		if err != nil {
			return nil, err
		}
		raw[i] = v
	}
	return json.Marshal(raw)
}

func writeMember(b *bytes.Buffer, name string, value []byte) {
	if b.Len() > 1 {
		b.WriteByte(',')
	}
	n, _ := json.Marshal(name)
	b.Write(n)
	b.WriteByte(':')
	b.Write(value)
}

// structFields caches fieldsOf per struct type.
var structFields sync.Map // reflect.Type => map[string]reflect.Type

// fieldsOf returns the JSON names of t's fields, as encoding/json names
// them (the tag's name, else the field name; "-" skipped; unexported
// fields skipped; untagged embedded structs flattened, the outer field
// winning), with each field's type.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if m, ok := structFields.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := make(map[string]reflect.Type)
	collectFields(t, m, 0)
	structFields.Store(t, m)
	return m
}

func collectFields(t reflect.Type, into map[string]reflect.Type, depth int) {
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			embedded = append(embedded, ft)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, taken := into[name]; !taken {
			into[name] = f.Type
		}
	}
	if depth < 8 { // encoding/json has no limit; cycles through pointers need one
		for _, et := range embedded {
			collectFields(et, into, depth+1)
		}
	}
}
