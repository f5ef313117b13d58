package middleware_test

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/dpoptest"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
)

// These tests run certificate-bound tokens (RFC 8705 §3) end to end over
// real TLS: issuertest binds the token to the client certificate of the
// token request, and the API, on a TLS listener asking for client
// certificates, accepts it only on a connection with that certificate.

// tlsAPI serves GET /orders/{id} behind g and v on a TLS listener that
// asks for client certificates, and returns it.
func tlsAPI(t testing.TB, v tokengate.TokenVerifier, g *middleware.Guard) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(ordersHandler(v, g))
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func ordersHandler(v tokengate.TokenVerifier, g *middleware.Guard) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /orders/{id}", g.Require(v, scopes.All("orders:read"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("order " + r.PathValue("id")))
	})))
	return mux
}

// withCert is a client of srv that presents cert, or none when cert is nil.
func withCert(srv *httptest.Server, cert *tls.Certificate) *http.Client {
	t := srv.Client().Transport.(*http.Transport).Clone()
	if cert != nil {
		t.TLSClientConfig.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Transport: t}
}

func TestCertificateBoundEndToEnd(t *testing.T) {
	iss := issuertest.NewServer(issuertest.WithTLSClientCertificates())
	t.Cleanup(iss.Close)
	mine, x5t := dpoptest.ClientCertificate("service")
	other, _ := dpoptest.ClientCertificate("thief")
	bound := tokenFor(t, iss, iss.ClientWithCertificate(mine), nil)
	plain := tokenFor(t, iss, iss.Client(), nil)
	der := mine.Certificate[0]
	sum := thumbBytes(t, x5t)
	for name, v := range map[string]tokengate.TokenVerifier{"jwt": newJWT(t, iss, nil), "introspection": newIntrospector(t, iss, nil)} {
		t.Run(name, func(t *testing.T) {
			api := tlsAPI(t, v, &middleware.Guard{Realm: "orders"})
			hexBound := iss.AccessToken(issuertest.TokenRequest{Scopes: []string{"orders:read"}, Claims: map[string]any{"cnf": map[string]any{"x5t#S256": hex.EncodeToString(sum)}}})
			paddedBound := iss.AccessToken(issuertest.TokenRequest{Scopes: []string{"orders:read"}, Claims: map[string]any{"cnf": map[string]any{"x5t#S256": base64.URLEncoding.EncodeToString(sum)}}})
			sha1Bound := iss.AccessToken(issuertest.TokenRequest{Scopes: []string{"orders:read"}, Claims: map[string]any{"cnf": map[string]any{"x5t": x5t}}})
			tests := []struct {
				name   string
				client *http.Client
				token  string
				status int
				desc   string
			}{
				{"the certificate the token is bound to", withCert(api, &mine), bound, 200, ""},
				{"no client certificate", withCert(api, nil), bound, 401, "the access token is bound to a client certificate the request does not present"},
				{"another client certificate", withCert(api, &other), bound, 401, "the access token is not bound to this client certificate"},
				{"the thumbprint in hex", withCert(api, &mine), hexBound, 401, "the access token is not bound to this client certificate"},
				{"the thumbprint padded", withCert(api, &mine), paddedBound, 401, "the access token is not bound to this client certificate"},
				{"a confirmation method that cannot be checked", withCert(api, &mine), sha1Bound, 401, "the token is bound to a key and cannot be used as a bearer token"},
				{"an unbound token with a certificate", withCert(api, &mine), plain, 200, ""},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					a := call(t, tt.client, api.URL+"/orders/1", "Bearer "+tt.token)
					if a.status != tt.status || (tt.desc != "" && !strings.Contains(strings.Join(a.challenge, " "), tt.desc)) {
						t.Fatalf("GET = %d %q, want %d %q", a.status, a.challenge, tt.status, tt.desc)
					}
				})
			}
		})
	}
	t.Run("forwarded by a TLS-terminating proxy", func(t *testing.T) {
		api := httptest.NewServer(ordersHandler(newJWT(t, iss, nil), &middleware.Guard{ClientCertHeader: "Client-Cert"}))
		t.Cleanup(api.Close)
		pemCert := url.PathEscape(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
		for _, tt := range []struct {
			name   string
			header []string
			status int
		}{
			{"RFC 9440 byte sequence", []string{":" + base64.StdEncoding.EncodeToString(der) + ":"}, 200},
			{"URL-encoded PEM", []string{pemCert}, 200},
			{"another certificate", []string{":" + base64.StdEncoding.EncodeToString(other.Certificate[0]) + ":"}, 401},
			{"no header", nil, 401},
			{"two headers", []string{pemCert, pemCert}, 400},
			{"garbage", []string{"not a certificate"}, 400},
		} {
			t.Run(tt.name, func(t *testing.T) {
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, api.URL+"/orders/1", nil)
				req.Header.Set("Authorization", "Bearer "+bound)
				for _, h := range tt.header {
					req.Header.Add("Client-Cert", h)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tt.status {
					t.Fatalf("GET = %d, want %d", resp.StatusCode, tt.status)
				}
			})
		}
	})
	t.Run("a forged header is ignored unless configured", func(t *testing.T) {
		api := httptest.NewServer(ordersHandler(newJWT(t, iss, nil), &middleware.Guard{}))
		t.Cleanup(api.Close)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, api.URL+"/orders/1", nil)
		req.Header.Set("Authorization", "Bearer "+bound)
		req.Header.Set("Client-Cert", ":"+base64.StdEncoding.EncodeToString(der)+":")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("GET with a forged Client-Cert header and no ClientCertHeader = %d, want 401", resp.StatusCode)
		}
	})
}

func thumbBytes(t testing.TB, x5t string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(x5t)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
