package introspection_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/verifier"
)

func TestNewRejectsBadConfig(t *testing.T) {
	valid := introspection.Config{
		Endpoint:     "https://issuer.test/introspect",
		ClientID:     "api",
		ClientSecret: "secret",
	}
	tests := []struct {
		name   string
		modify func(*introspection.Config)
		want   string // a fragment of the error, naming the field
	}{
		{"no client id", func(c *introspection.Config) { c.ClientID = "" }, "ClientID"},
		{"no client secret", func(c *introspection.Config) { c.ClientSecret = "" }, "ClientSecret"},
		{"neither endpoint nor issuer", func(c *introspection.Config) { c.Endpoint = "" }, "Endpoint or Config.Issuer"},
		{"unknown auth method", func(c *introspection.Config) { c.AuthMethod = "private_key_jwt" }, "AuthMethod"},
		{"plain http endpoint on a remote host sends secrets in clear", func(c *introspection.Config) { c.Endpoint = "http://issuer.test/introspect" }, "Endpoint"},
		{"plain http issuer on a remote host", func(c *introspection.Config) { c.Endpoint, c.Issuer = "", "http://issuer.test" }, "Issuer"},
		{"relative endpoint", func(c *introspection.Config) { c.Endpoint = "/introspect" }, "Endpoint"},
		{"negative cache size", func(c *introspection.Config) { c.CacheSize = -1 }, "CacheSize"},
		{"negative max ttl", func(c *introspection.Config) { c.MaxCacheTTL = -time.Second }, "MaxCacheTTL"},
		{"negative negative ttl", func(c *introspection.Config) { c.NegativeCacheTTL = -time.Second }, "NegativeCacheTTL"},
		{"negative timeout", func(c *introspection.Config) { c.Timeout = -time.Second }, "Timeout"},
		{"negative body cap", func(c *introspection.Config) { c.MaxBodyBytes = -1 }, "MaxBodyBytes"},
		{"negative token cap", func(c *introspection.Config) { c.MaxTokenBytes = -1 }, "MaxTokenBytes"},
		{"negative leeway", func(c *introspection.Config) { c.Leeway = -time.Second }, "Leeway"},
		{"leeway over five minutes", func(c *introspection.Config) { c.Leeway = time.Hour }, "Leeway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.modify(&cfg)
			in, err := introspection.New(t.Context(), cfg)
			if err == nil {
				in.Close()
				t.Fatalf("New() error = nil, want one naming %s", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "introspection: ") {
				t.Errorf("New() error = %q, want it prefixed \"introspection: \" and naming %s", err, tt.want)
			}
		})
	}
}

func TestNewAcceptsConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  introspection.Config
	}{
		{"https endpoint", introspection.Config{Endpoint: "https://issuer.test/introspect"}},
		{"http on loopback (RFC 8252 §8.3)", introspection.Config{Endpoint: "http://127.0.0.1:9/introspect"}},
		{"http on localhost", introspection.Config{Endpoint: "http://localhost:9/introspect"}},
		{"http allowed explicitly", introspection.Config{Endpoint: "http://issuer.test/introspect", AllowInsecureHTTP: true}},
		{"client_secret_post", introspection.Config{Endpoint: "https://issuer.test/introspect", AuthMethod: "client_secret_post"}},
		{"negative cache disabled", introspection.Config{Endpoint: "https://issuer.test/introspect", CacheSize: 10, NegativeCacheSize: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.ClientID, cfg.ClientSecret = "api", "secret"
			in, err := introspection.New(t.Context(), cfg)
			if err != nil {
				t.Fatalf("New() error = %v, want nil", err)
			}
			if err := in.Close(); err != nil {
				t.Errorf("Close() error = %v", err)
			}
		})
	}
}

// newIssuer serves a discovery document at
// /.well-known/openid-configuration whose issuer is the server's own URL,
// with the given introspection_endpoint ("{url}" stands for the URL).
func newIssuer(t *testing.T, introspectionEndpoint string, introspect http.HandlerFunc) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		md := map[string]string{"issuer": srv.URL, "jwks_uri": srv.URL + "/jwks"}
		if introspectionEndpoint != "" {
			md["introspection_endpoint"] = strings.ReplaceAll(introspectionEndpoint, "{url}", srv.URL)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(md)
	})
	mux.HandleFunc("POST /introspect", introspect)
	return srv
}

func TestNewDiscoversEndpoint(t *testing.T) {
	srv := newIssuer(t, "{url}/introspect", reply(`{"active":true,"sub":"alice"}`))
	in, err := introspection.New(t.Context(), introspection.Config{Issuer: srv.URL, ClientID: "api", ClientSecret: "secret"})
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	defer in.Close()
	c, err := in.Verify(t.Context(), "opaque-token")
	if err != nil {
		t.Fatalf("Verify() error = %v, want nil", err)
	}
	if c.Subject != "alice" {
		t.Errorf("Verify() subject = %q, want alice", c.Subject)
	}
}

func TestNewDiscoveryFailures(t *testing.T) {
	noop := func(http.ResponseWriter, *http.Request) {}
	tests := []struct {
		name     string
		endpoint string // introspection_endpoint in the metadata
		sentinel error  // nil: a configuration error, not ErrUnavailable
		want     string
	}{
		{"metadata without introspection_endpoint", "", nil, "no introspection_endpoint"},
		{"metadata sends tokens over plain http to a remote host", "http://elsewhere.test/introspect", nil, "https"},
		{"relative introspection_endpoint", "/introspect", nil, "introspection_endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newIssuer(t, tt.endpoint, noop)
			_, err := introspection.New(t.Context(), introspection.Config{Issuer: srv.URL, ClientID: "api", ClientSecret: "secret"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New() error = %v, want one containing %q", err, tt.want)
			}
			if errors.Is(err, verifier.ErrUnavailable) {
				t.Errorf("New() error = %v, a configuration error must not wrap ErrUnavailable", err)
			}
		})
	}
	t.Run("issuer unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		_, err := introspection.New(t.Context(), introspection.Config{Issuer: srv.URL, ClientID: "api", ClientSecret: "secret"})
		wantErr(t, "New()", err, verifier.ErrUnavailable)
	})
}
