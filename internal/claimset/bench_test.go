package claimset

import (
	"encoding/json"
	"testing"
)

// benchPayload is an access token's claims as the bench fixture has them.
var benchPayload = []byte(`{"aud":"https://api.example.test","client_id":"client-1234","exp":1800086400,"iat":1800000000,"iss":"https://issuer.example.test","jti":"fresh-0001","scope":"orders:read orders:write","sub":"user-1234"}`)

// BenchmarkParse is a claim set decoded for the verifier, beside
// json.Valid alone over the same bytes, the pass Parse no longer makes.
func BenchmarkParse(b *testing.B) {
	text := string(benchPayload)
	b.Run("ParseText", func(b *testing.B) {
		b.ReportAllocs()
		var s Set
		var spare [4]string
		for b.Loop() {
			if err := ParseText(benchPayload, text, &s, spare[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Valid", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !json.Valid(benchPayload) {
				b.Fatal("invalid")
			}
		}
	})
}
