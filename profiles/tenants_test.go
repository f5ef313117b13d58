package profiles_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/jwkscache"
	"github.com/tokengate/tokengate/profiles"
	"github.com/tokengate/tokengate/verifier"
)

// TestEntraTenantAllowList: a multi-tenant API trusts the tenants it lists
// and no other; a token of a listed tenant's issuer whose "tid" names
// another tenant is refused by the tid check (the access-tokens document's
// rule for multi-tenant apps).
func TestEntraTenantAllowList(t *testing.T) {
	const tenantB = "bbbbbbbb-2222-4222-8222-222222222222"
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwkscache.NewSet(map[string]crypto.PublicKey{"k": key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	cfgs, err := profiles.EntraTenants(entraAPI, entraTenant, tenantB)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cfgs {
		cfgs[i].JWKSURL, cfgs[i].Keys, cfgs[i].Now = "", set, func() time.Time { return fixtureNow }
	}
	m, err := verifier.NewMulti(verifier.MultiConfig{Issuers: cfgs})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	header, base := decodeFixture(t, readFixture(t, "entra-v2-access"))
	header["kid"] = "k"
	token := func(issTenant, tid string) string {
		return signRS256(t, key, header, clone(base, map[string]any{"iss": "https://login.microsoftonline.com/" + issTenant + "/v2.0", "tid": tid}))
	}
	for _, tenant := range []string{entraTenant, tenantB} {
		if c, err := m.Verify(t.Context(), token(tenant, tenant)); err != nil || !strings.Contains(c.Issuer, tenant) {
			t.Errorf("Verify(tenant %s) = %v, %v", tenant, c, err)
		}
	}
	const other = "cccccccc-9999-4999-8999-999999999999"
	if _, err := m.Verify(t.Context(), token(other, other)); !errors.Is(err, verifier.ErrWrongIssuer) {
		t.Errorf("Verify(tenant not listed) error = %v, want ErrWrongIssuer", err)
	}
	if _, err := m.Verify(t.Context(), token(entraTenant, tenantB)); !errors.Is(err, verifier.ErrInvalidToken) || !strings.Contains(err.Error(), `"tid"`) {
		t.Errorf("Verify(iss of A, tid of B) error = %v, want the tid check", err)
	}
}
