package discovery

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokengate/tokengate/internal/netpolicy"
)

func TestFetchRFC8414Fallback(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// RFC 8414 §3.1: the well-known segment goes between host and path.
		if r.URL.Path != "/.well-known/oauth-authorization-server/tenant" {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{
			"issuer": srv.URL + "/tenant", "jwks_uri": srv.URL + "/keys", "introspection_endpoint": srv.URL + "/introspect",
		})
	}))
	defer srv.Close()
	md, err := Fetch(t.Context(), srv.URL+"/tenant", srv.Client())
	if err != nil {
		t.Fatalf("Fetch() error = %v", err)
	}
	if md.JWKSURI != srv.URL+"/keys" || md.IntrospectionEndpoint != srv.URL+"/introspect" {
		t.Errorf("Fetch() = %+v", md)
	}
}

func TestFetchRejectsOversizedDocument(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"issuer":"`))
		w.Write([]byte(strings.Repeat("a", netpolicy.MaxBodyBytes+10)))
	}))
	defer srv.Close()
	_, err := Fetch(t.Context(), srv.URL, srv.Client())
	if !errors.Is(err, netpolicy.ErrBodyTooLarge) {
		t.Fatalf("Fetch() error = %v, want %v", err, netpolicy.ErrBodyTooLarge)
	}
}
