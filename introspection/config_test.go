package introspection_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
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
		Audience:     testAudience,
	}
	weakRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		modify func(*introspection.Config)
		want   string // a fragment of the error, naming the field
	}{
		{"no client id", func(c *introspection.Config) { c.ClientID = "" }, "ClientID"},
		{"no client secret", func(c *introspection.Config) { c.ClientSecret = "" }, "ClientSecret"},
		{"neither endpoint nor issuer", func(c *introspection.Config) { c.Endpoint = "" }, "Endpoint or Config.Issuer"},
		{"unknown auth method", func(c *introspection.Config) { c.AuthMethod = "client_secret_jwt" }, "AuthMethod"},
		{"no audience: refresh tokens would pass", func(c *introspection.Config) { c.Audience = "" }, "Audience is required"},
		{"audience and AnyAudience both", func(c *introspection.Config) { c.AnyAudience = true }, "AnyAudience"},
		{"none with a secret it would not send", func(c *introspection.Config) { c.AuthMethod = "none" }, "ClientSecret"},
		{"private_key_jwt without a key", func(c *introspection.Config) { c.AuthMethod, c.ClientSecret = "private_key_jwt", "" }, "PrivateKey is required"},
		{"private_key_jwt with a secret it would not send", func(c *introspection.Config) { c.AuthMethod, c.PrivateKey = "private_key_jwt", testKey(t) }, "ClientSecret"},
		{"private_key_jwt without a client id", func(c *introspection.Config) {
			c.AuthMethod, c.ClientSecret, c.ClientID, c.PrivateKey = "private_key_jwt", "", "", testKey(t)
		}, "ClientID"},
		{"private_key_jwt with a 1024-bit RSA key", func(c *introspection.Config) {
			c.AuthMethod, c.ClientSecret, c.PrivateKey = "private_key_jwt", "", weakRSA
		}, "1024-bit"},
		{"private_key_jwt with a P-224 key", func(c *introspection.Config) {
			c.AuthMethod, c.ClientSecret, c.PrivateKey = "private_key_jwt", "", p224
		}, "P-224"},
		{"a private key with client_secret_basic", func(c *introspection.Config) { c.PrivateKey = testKey(t) }, "PrivateKey"},
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
		{"negative concurrency bound", func(c *introspection.Config) { c.MaxConcurrentCalls = -1 }, "MaxConcurrentCalls"},
		{"negative queue wait", func(c *introspection.Config) { c.MaxQueueWait = -time.Second }, "MaxQueueWait"},
		{"negative failure backoff", func(c *introspection.Config) { c.FailureBackoff = -time.Second }, "FailureBackoff"},
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

// TestNewAcceptsConfig also checks that New's credential check does not
// fail New when the endpoint cannot be reached: the client's transport
// fails every call, and counts them.
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
		{"audience waived explicitly", introspection.Config{Endpoint: "https://issuer.test/introspect", AnyAudience: true}},
		{"no client authentication, explicitly", introspection.Config{Endpoint: "https://issuer.test/introspect", AuthMethod: "none"}},
		{"private_key_jwt", introspection.Config{Endpoint: "https://issuer.test/introspect", AuthMethod: "private_key_jwt", PrivateKey: testKey(t)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			switch cfg.AuthMethod {
			case "", "client_secret_basic", "client_secret_post":
				cfg.ClientID, cfg.ClientSecret = "api", "secret"
			case "private_key_jwt":
				cfg.ClientID = "api"
			}
			if !cfg.AnyAudience {
				cfg.Audience = testAudience
			}
			var calls atomic.Int64
			cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
				calls.Add(1)
				return nil, errors.New("network down")
			})}
			in, err := introspection.New(t.Context(), cfg)
			if err != nil {
				t.Fatalf("New() error = %v, want nil", err)
			}
			if err := in.Close(); err != nil {
				t.Errorf("Close() error = %v", err)
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("New() made %d calls, want 1 (the credential check)", n)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

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
	srv := newIssuer(t, "{url}/introspect", reply(`{"active":true,"sub":"alice","aud":"https://api.test"}`))
	in, err := introspection.New(t.Context(), introspection.Config{Issuer: srv.URL, ClientID: "api", ClientSecret: "secret", Audience: testAudience})
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
			_, err := introspection.New(t.Context(), introspection.Config{Issuer: srv.URL, ClientID: "api", ClientSecret: "secret", Audience: testAudience})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New() error = %v, want one containing %q", err, tt.want)
			}
			if errors.Is(err, verifier.ErrUnavailable) {
				t.Errorf("New() error = %v, a configuration error must not wrap ErrUnavailable", err)
			}
		})
	}
	t.Run("issuer unreachable starts unavailable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		in, err := introspection.New(t.Context(), introspection.Config{Issuer: srv.URL, ClientID: "api", ClientSecret: "secret", Audience: testAudience})
		if err != nil {
			t.Fatalf("New() with the issuer unreachable: error = %v, want an introspector that answers ErrUnavailable", err)
		}
		defer in.Close()
		_, err = in.Verify(t.Context(), "opaque-token")
		wantErr(t, "Verify()", err, verifier.ErrUnavailable)
		if err := in.Ready(t.Context()); err == nil || !strings.Contains(err.Error(), "metadata") {
			t.Errorf("Ready() = %v, want an error about the issuer's metadata", err)
		}
	})
}

// TestNewIssuerMismatchIsConfigError: metadata naming another issuer
// (RFC 8414 §3.3, OpenID Connect Discovery §4.3) will not mend on a
// retry, so it is a configuration error naming the field, not
// ErrUnavailable.
func TestNewIssuerMismatchIsConfigError(t *testing.T) {
	for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"} {
		t.Run(path, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != path {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"issuer":"https://impostor.test","introspection_endpoint":"https://impostor.test/introspect"}`)
			}))
			defer srv.Close()
			_, err := introspection.New(t.Context(), introspection.Config{Issuer: srv.URL, ClientID: "api", ClientSecret: "secret", Audience: testAudience})
			if err == nil || errors.Is(err, verifier.ErrUnavailable) || !strings.Contains(err.Error(), "Config.Issuer") {
				t.Fatalf("New() error = %v, want a configuration error naming Config.Issuer, not ErrUnavailable", err)
			}
		})
	}
}
