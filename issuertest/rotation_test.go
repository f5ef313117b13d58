package issuertest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tokengate/tokengate/issuertest"
)

// TestPublishNextKey_OIDCCore10_1_1: publish then sign. The next key is in
// the JWKS for the publish-ahead time before it signs, so that a verifier
// which refetches keys only now and then has it before its first token
// ("the JWK Set document ... SHOULD retain recently decommissioned signing
// keys for a reasonable period of time", OIDC Core §10.1.1, holds for the
// old key too).
func TestPublishNextKey_OIDCCore10_1_1(t *testing.T) {
	s, clock := newServer(t, issuertest.WithKeyPublishAhead(10*time.Minute), issuertest.WithKeyOverlap(time.Hour),
		issuertest.WithAccessTokenLifetime(2*time.Hour))
	oldKID := s.SigningKeyID()
	oldTok := s.AccessToken(issuertest.TokenRequest{})

	next, signsFrom := s.PublishNextKey()
	if !signsFrom.Equal(epoch.Add(10 * time.Minute)) {
		t.Errorf("PublishNextKey() signs from %v, want %v", signsFrom, epoch.Add(10*time.Minute))
	}
	if got := s.KeyIDs(); !slices.Equal(got, []string{oldKID, next}) {
		t.Fatalf("KeyIDs() after PublishNextKey = %v, want old and next", got)
	}
	published := jwks(t, s) // a verifier fetches the JWKS now, before the switch
	if _, ok := published[next]; !ok {
		t.Fatalf("the next key is not in the JWKS")
	}

	clock.Advance(10*time.Minute - time.Second)
	if s.SigningKeyID() != oldKID || headerOf(t, s.AccessToken(issuertest.TokenRequest{}))["kid"] != oldKID {
		t.Errorf("the next key signed before the publish-ahead time ended")
	}
	clock.Advance(time.Second)
	newTok := s.AccessToken(issuertest.TokenRequest{})
	if s.SigningKeyID() != next || headerOf(t, newTok)["kid"] != next {
		t.Fatalf("SigningKeyID() = %s after the publish-ahead time, want %s", s.SigningKeyID(), next)
	}
	// The keys fetched before the switch verify the first token after it.
	if _, err := parseAccessWith(s, clock, published, newTok); err != nil {
		t.Errorf("first token after the switch against the JWKS fetched before it: %v", err)
	}
	for name, tok := range map[string]string{"old": oldTok, "new": newTok} {
		if _, err := parseAccess(t, s, clock, tok); err != nil {
			t.Errorf("%s token during the overlap: %v", name, err)
		}
	}

	clock.Advance(time.Hour)
	if got := s.KeyIDs(); !slices.Equal(got, []string{next}) {
		t.Errorf("KeyIDs() after the overlap = %v, want only %s", got, next)
	}
}

// TestRotateKeySignsAtOnce_OIDCCore10_1_1: sign at once keeps its meaning:
// the first token after RotateKey carries a kid no earlier JWKS fetch had,
// so that the verifier's unknown-kid refetch is exercised.
func TestRotateKeySignsAtOnce_OIDCCore10_1_1(t *testing.T) {
	s, _ := newServer(t)
	before := jwks(t, s)
	kid := s.RotateKey()
	if _, ok := before[kid]; ok {
		t.Fatalf("the new key was published before RotateKey")
	}
	if got := headerOf(t, s.AccessToken(issuertest.TokenRequest{}))["kid"]; got != kid {
		t.Errorf("first token after RotateKey has kid %v, want the new %s", got, kid)
	}
}

// TestPublishedKeyCanBeRetiredBeforeItSigns: RetireKey on a key published
// ahead withdraws it; the current key goes on signing.
func TestPublishedKeyCanBeRetiredBeforeItSigns(t *testing.T) {
	s, clock := newServer(t)
	oldKID := s.SigningKeyID()
	next, _ := s.PublishNextKey()
	s.RetireKey(next)
	clock.Advance(issuertest.DefaultKeyPublishAhead)
	if s.SigningKeyID() != oldKID || slices.Contains(s.KeyIDs(), next) {
		t.Errorf("a retired next key took over: signing %s, kids %v", s.SigningKeyID(), s.KeyIDs())
	}
}

// TestRotationCoversEveryAlgorithm: with an access token algorithm other
// than RS256, both rotations renew the RS256 ID token key too.
func TestRotationCoversEveryAlgorithm(t *testing.T) {
	s, clock := newServer(t, issuertest.WithSigningAlg(issuertest.AlgES256), issuertest.WithKeyOverlap(time.Minute))
	idKID := func() any { return headerOf(t, s.IDToken(issuertest.TokenRequest{}))["kid"] }
	first := idKID()
	s.RotateKey()
	second := idKID()
	if second == first {
		t.Errorf("RotateKey left the ID token key %v", first)
	}
	s.PublishNextKey()
	clock.Advance(issuertest.DefaultKeyPublishAhead)
	if third := idKID(); third == second {
		t.Errorf("PublishNextKey left the ID token key %v", second)
	}
	clock.Advance(time.Minute)
	if n := len(s.KeyIDs()); n != 2 {
		t.Errorf("after both overlaps the JWKS has %d keys, want 2 (ES256 and RS256)", n)
	}
}

// TestAdminRotateModes: POST /admin/rotate offers both ways, sign at once
// by default.
func TestAdminRotateModes(t *testing.T) {
	s, _ := newServer(t, issuertest.WithAdminAPI())
	old := s.SigningKeyID()
	status, body := adminCall(t, s, "POST", "/admin/rotate", `{"mode":"publish-then-sign"}`)
	next, _ := body["kid"].(string)
	if status != 200 || s.SigningKeyID() != old || !slices.Contains(s.KeyIDs(), next) ||
		body["signs_from"] != epoch.Add(issuertest.DefaultKeyPublishAhead).Format(time.RFC3339) {
		t.Errorf("publish-then-sign = %d %v; signing %s, kids %v", status, body, s.SigningKeyID(), s.KeyIDs())
	}
	for _, req := range []string{`{"mode":"sign-at-once"}`, `{}`} {
		status, body = adminCall(t, s, "POST", "/admin/rotate", req)
		if status != 200 || body["kid"] != s.SigningKeyID() || body["signs_from"] != epoch.Format(time.RFC3339) {
			t.Errorf("rotate %s = %d %v, want the new key signing now", req, status, body)
		}
	}
	if status, body = adminCall(t, s, "POST", "/admin/rotate", `{"mode":"later"}`); status != 400 {
		t.Errorf("rotate with an unknown mode = %d %v, want 400", status, body)
	}
}
