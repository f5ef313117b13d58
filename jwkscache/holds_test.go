package jwkscache

import (
	"net/http"
	"testing"
	"time"
)

func TestHoldsFollowsTheKeySetWithoutFetching(t *testing.T) {
	k := keys()
	h := newHarness(t, jwksJSON(t, rsaJWK("a", &k.rsaA.PublicKey), rsaJWK("b", &k.rsaB.PublicKey)), nil)
	if gen := h.c.Generation(); gen != 1 {
		t.Fatalf("Generation() after the first fetch = %d, want 1", gen)
	}
	copyOfA := k.rsaA.PublicKey // equal, not the same pointer
	tests := []struct {
		name     string
		kid, alg string
		pub      any
		want     bool
	}{
		{"held key", "a", "RS256", &k.rsaA.PublicKey, true},
		{"equal key, another value", "a", "RS256", &copyOfA, true},
		{"another key under the kid", "a", "RS256", &k.rsaB.PublicKey, false},
		{"alg the key does not fit", "a", "ES256", &k.rsaA.PublicKey, false},
		{"kid not held", "c", "RS256", &k.rsaA.PublicKey, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gen, until, ok := h.c.Holds(tt.kid, tt.alg, tt.pub)
			if ok != tt.want || ok && (gen != 1 || until.IsZero()) {
				t.Errorf("Holds(%q, %q) = %d, %v, %v; want ok %v at generation 1", tt.kid, tt.alg, gen, until, ok, tt.want)
			}
		})
	}
	hits := h.srv.hits.Load()
	h.srv.serve(http.StatusOK, jwksJSON(t, rsaJWK("b", &k.rsaB.PublicKey)))
	if err := h.c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if gen := h.c.Generation(); gen != 2 {
		t.Errorf("Generation() after a refresh = %d, want 2", gen)
	}
	if _, _, ok := h.c.Holds("a", "RS256", &k.rsaA.PublicKey); ok {
		t.Error("Holds(a removed key) = true, want false")
	}
	if _, _, ok := h.c.Holds("b", "RS256", &k.rsaB.PublicKey); !ok {
		t.Error("Holds(a kept key) = false, want true")
	}
	if got := h.srv.hits.Load() - hits; got != 1 {
		t.Errorf("key set fetched %d times, want 1 (the Refresh): Holds must not fetch", got)
	}
	h.clock.Advance(48 * time.Hour) // past MaxStaleness
	if _, _, ok := h.c.Holds("b", "RS256", &k.rsaB.PublicKey); ok {
		t.Error("Holds(key of a set past MaxStaleness) = true, want false")
	}
}
