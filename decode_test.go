package tokengate_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tokengate/tokengate"
)

// TestDecodeIsCaseExact: claim names are case-sensitive (RFC 7519 §4). A
// payload that carries "sub" and a look-alike "SUB" must not let Decode
// yield the look-alike, which encoding/json alone would bind to a field
// tagged "sub"; nor may "Roles" fill a field tagged "roles", at any depth.
func TestDecodeIsCaseExact(t *testing.T) {
	type realm struct {
		Roles []string `json:"roles"`
	}
	type embedded struct {
		Tenant string `json:"tenant"`
	}
	type target struct {
		embedded
		Sub    string           `json:"sub"`
		Roles  []string         `json:"roles"`
		Realm  realm            `json:"realm_access"`
		Orgs   []realm          `json:"orgs"`
		ByName map[string]realm `json:"by_name"`
		Plain  string           // untagged: its JSON name is "Plain"
		Skip   string           `json:"-"`
		Raw    json.RawMessage  `json:"raw"`
	}
	tests := []struct {
		name    string
		payload string
		want    target
	}{
		{"exact names bind", `{"sub":"alice","roles":["reader"],"tenant":"t1","Plain":"p"}`,
			target{Sub: "alice", Roles: []string{"reader"}, embedded: embedded{Tenant: "t1"}, Plain: "p"}},
		{"look-alike after the real claim", `{"sub":"alice","SUB":"admin"}`, target{Sub: "alice"}},
		{"look-alike before the real claim", `{"SUB":"admin","sub":"alice"}`, target{Sub: "alice"}},
		{"look-alike alone", `{"Sub":"admin","ROLES":["admin"],"TENANT":"evil","plain":"x"}`, target{}},
		{"nested look-alike", `{"realm_access":{"roles":["reader"],"Roles":["admin"]}}`, target{Realm: realm{Roles: []string{"reader"}}}},
		{"look-alike in an array of objects", `{"orgs":[{"ROLES":["admin"]},{"roles":["r"]}]}`, target{Orgs: []realm{{}, {Roles: []string{"r"}}}}},
		{"look-alike in map values", `{"by_name":{"Acme":{"Roles":["admin"],"roles":["r"]}}}`, target{ByName: map[string]realm{"Acme": {Roles: []string{"r"}}}}},
		{"a skipped field stays empty", `{"-":"x","Skip":"y"}`, target{}},
		{"raw message kept as sent", `{"raw":{"A":1}}`, target{Raw: json.RawMessage(`{"A":1}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &tokengate.Claims{Raw: json.RawMessage(tt.payload)}
			var got target
			if err := c.Decode(&got); err != nil {
				t.Fatalf("Decode() error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode(%s) = %+v, want %+v", tt.payload, got, tt.want)
			}
		})
	}
}

func TestDecodeIntoMapKeepsEveryExactName(t *testing.T) {
	c := &tokengate.Claims{Raw: json.RawMessage(`{"sub":"alice","SUB":"admin"}`)}
	var m map[string]any
	if err := c.Decode(&m); err != nil {
		t.Fatal(err)
	}
	if m["sub"] != "alice" || m["SUB"] != "admin" || len(m) != 2 {
		t.Errorf("Decode(map) = %v, want both members under their exact names", m)
	}
	var a any
	if err := c.Decode(&a); err != nil || a.(map[string]any)["sub"] != "alice" {
		t.Errorf("Decode(any) = %v, %v", a, err)
	}
	if err := c.Decode(m); err == nil {
		t.Error("Decode(non-pointer) error = nil")
	}
}
