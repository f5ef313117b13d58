package middleware_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/dpop"
	"github.com/tokengate/tokengate/internal/dpoptest"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
)

// These tests run DPoP (RFC 9449) end to end: a client written here gets a
// DPoP-bound token from issuertest's token endpoint with a proof, then
// calls an API on a loopback listener whose Guard checks the proof and the
// binding with a real verifier.JWT or introspection.Introspector.

// tokenFor gets an access token from iss by client_credentials, with a
// DPoP proof of key when key is not nil, through client.
func tokenFor(t testing.TB, iss *issuertest.Server, client *http.Client, key *dpoptest.Key) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"orders:read"}}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, iss.URL+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(issuertest.ServiceClientID, issuertest.ServiceClientSecret)
	if key != nil {
		req.Header.Set("DPoP", key.Sign(dpoptest.Proof{Method: "POST", URL: iss.URL + "/token"}))
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST /token = %d, %v", resp.StatusCode, err)
	}
	if want := map[bool]string{true: "DPoP", false: "Bearer"}[key != nil]; body.TokenType != want {
		t.Fatalf("token_type = %q, want %q", body.TokenType, want)
	}
	return body.AccessToken
}

// answer is what the API said.
type answer struct {
	status    int
	challenge []string // WWW-Authenticate values
	nonce     string   // DPoP-Nonce
	body      string
}

// call sends GET url with the Authorization value auth and DPoP proofs.
func call(t testing.TB, client *http.Client, url, auth string, proofs ...string) answer {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Values("WWW-Authenticate"), resp.Header.Get("DPoP-Nonce"), string(b)}
}

// dpopAPI serves GET /orders/{id} behind a Guard with checker, as g sets
// it, on a loopback listener, and returns its URL.
func dpopAPI(t testing.TB, v tokengate.TokenVerifier, g middleware.Guard) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	g.Realm, g.ExternalURL = "orders", base
	mux := http.NewServeMux()
	mux.Handle("GET /orders/{id}", g.Require(v, scopes.All("orders:read"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := tokengate.FromContext(r.Context())
		fmt.Fprintf(w, "order %s for %s", r.PathValue("id"), c.Subject)
	})))
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	return base
}

func newDPoPChecker(t testing.TB, cfg dpop.Config) *dpop.Checker {
	t.Helper()
	c, err := dpop.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const algs = `algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519"`

// TestDPoPEndToEnd walks the attacks of RFC 9449 §7 and §11 against both
// verifiers: the holder of the key gets in, a thief of the token does not.
func TestDPoPEndToEnd(t *testing.T) {
	iss := issuertest.NewServer()
	t.Cleanup(iss.Close)
	verifiers := map[string]tokengate.TokenVerifier{
		"jwt":           newJWT(t, iss, nil),
		"introspection": newIntrospector(t, iss, nil),
	}
	for name, v := range verifiers {
		t.Run(name, func(t *testing.T) {
			base := dpopAPI(t, v, middleware.Guard{DPoP: newDPoPChecker(t, dpop.Config{})})
			orders := base + "/orders/7"
			key, thief := dpoptest.NewKey("ES256"), dpoptest.NewKey("ES256")
			bound := tokenFor(t, iss, iss.Client(), key)
			plain := tokenFor(t, iss, iss.Client(), nil)
			proof := func(k *dpoptest.Key, tok string, p dpoptest.Proof) string {
				if p.Method == "" {
					p.Method, p.URL = "GET", orders
				}
				p.Token = tok
				return k.Sign(p)
			}
			used := proof(key, bound, dpoptest.Proof{})
			if a := call(t, http.DefaultClient, orders, "DPoP "+bound, used); a.status != 200 || !strings.HasPrefix(a.body, "order 7") {
				t.Fatalf("DPoP token with its proof = %d %q %q, want 200", a.status, a.body, a.challenge)
			}
			invalidDPoP := func(desc string) []string {
				return []string{`DPoP realm="orders", error="invalid_dpop_proof", error_description="` + desc + `", ` + algs, `Bearer realm="orders"`}
			}
			invalidTokenDPoP := func(desc string) []string {
				return []string{`DPoP realm="orders", error="invalid_token", error_description="` + desc + `", ` + algs, `Bearer realm="orders"`}
			}
			tests := []struct {
				name   string
				auth   string
				proofs []string
				status int
				want   []string
			}{
				{"stolen DPoP token sent as a bearer token (RFC 9449 §7.2)", "Bearer " + bound, nil, 401,
					[]string{`Bearer realm="orders", error="invalid_token", error_description="the token is bound to a key and cannot be used as a bearer token"`, `DPoP realm="orders", ` + algs}},
				{"stolen DPoP token with the thief's own proof", "DPoP " + bound, []string{proof(thief, bound, dpoptest.Proof{})}, 401,
					invalidTokenDPoP("the access token is not bound to the DPoP proof's key")},
				{"stolen DPoP token without a proof", "DPoP " + bound, nil, 401, invalidDPoP("the request carries no DPoP proof")},
				{"replayed proof", "DPoP " + bound, []string{used}, 401, invalidDPoP("the DPoP proof was used before")},
				{"two proofs", "DPoP " + bound, []string{proof(key, bound, dpoptest.Proof{}), proof(key, bound, dpoptest.Proof{})}, 401, invalidDPoP("the request carries more than one DPoP proof")},
				{"proof for another URL", "DPoP " + bound, []string{proof(key, bound, dpoptest.Proof{Method: "GET", URL: base + "/orders/8"})}, 401, invalidDPoP("the DPoP proof is for another URL")},
				{"proof for another host", "DPoP " + bound, []string{proof(key, bound, dpoptest.Proof{Method: "GET", URL: "http://evil.example.test/orders/7"})}, 401, invalidDPoP("the DPoP proof is for another URL")},
				{"proof for another method", "DPoP " + bound, []string{proof(key, bound, dpoptest.Proof{Method: "DELETE", URL: orders})}, 401, invalidDPoP("the DPoP proof is for another HTTP method")},
				{"proof for another token", "DPoP " + bound, []string{proof(key, plain, dpoptest.Proof{})}, 401, invalidDPoP("the DPoP proof is not for this access token")},
				{"unbound token with the DPoP scheme", "DPoP " + plain, []string{proof(key, plain, dpoptest.Proof{})}, 401,
					invalidTokenDPoP("the access token is not DPoP-bound but was sent with the DPoP scheme")},
				{"unbound bearer token where DPoP is allowed", "Bearer " + plain, nil, 200, nil},
				{"no token offers both schemes (RFC 9449 §7.2)", "", nil, 401, []string{`Bearer realm="orders"`, `DPoP realm="orders", ` + algs}},
				{"malformed DPoP credential", "DPoP  " + bound, nil, 400,
					[]string{`DPoP realm="orders", error="invalid_request", error_description="the DPoP credential is malformed", ` + algs, `Bearer realm="orders"`}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					a := call(t, http.DefaultClient, orders, tt.auth, tt.proofs...)
					if a.status != tt.status || strings.Join(a.challenge, "\n") != strings.Join(tt.want, "\n") {
						t.Fatalf("GET = %d %q,\nwant %d %q", a.status, a.challenge, tt.status, tt.want)
					}
				})
			}
		})
	}
}

// TestDPoPRequired: a route requiring DPoP refuses bearer tokens and says
// so in its one challenge; its metadata says so too (RFC 9728 §2).
func TestDPoPRequired(t *testing.T) {
	iss := issuertest.NewServer()
	t.Cleanup(iss.Close)
	g := middleware.Guard{DPoP: newDPoPChecker(t, dpop.Config{Algorithms: []string{"ES256", "EdDSA"}}), RequireDPoP: true}
	base := dpopAPI(t, newJWT(t, iss, nil), g)
	key := dpoptest.NewKey("EdDSA")
	bound, plain := tokenFor(t, iss, iss.Client(), key), tokenFor(t, iss, iss.Client(), nil)
	for _, tt := range []struct {
		name   string
		auth   string
		proofs []string
		status int
		want   string
	}{
		{"bearer token", "Bearer " + plain, nil, 401, `DPoP realm="orders", algs="ES256 EdDSA"`},
		{"DPoP token sent as bearer", "Bearer " + bound, nil, 401, `DPoP realm="orders", algs="ES256 EdDSA"`},
		{"no token", "", nil, 401, `DPoP realm="orders", algs="ES256 EdDSA"`},
		{"DPoP token with its proof", "DPoP " + bound, []string{key.Sign(dpoptest.Proof{Method: "GET", URL: base + "/orders/1", Token: bound})}, 200, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := call(t, http.DefaultClient, base+"/orders/1", tt.auth, tt.proofs...)
			if a.status != tt.status || strings.Join(a.challenge, "\n") != tt.want {
				t.Fatalf("GET = %d %q, want %d %q", a.status, a.challenge, tt.status, tt.want)
			}
		})
	}
	md := &middleware.ProtectedResourceMetadata{Resource: base}
	g.FillMetadata(md)
	if !md.DPoPBoundAccessTokensRequired || strings.Join(md.DPoPSigningAlgValuesSupported, " ") != "ES256 EdDSA" {
		t.Errorf("FillMetadata() = %+v, want dpop_bound_access_tokens_required and the checker's algorithms", md)
	}
}

// TestDPoPNonce: with server nonces, a proof without one is refused with
// use_dpop_nonce and the nonce to use; the retry with it passes (RFC 9449
// §9).
func TestDPoPNonce(t *testing.T) {
	iss := issuertest.NewServer()
	t.Cleanup(iss.Close)
	base := dpopAPI(t, newJWT(t, iss, nil), middleware.Guard{DPoP: newDPoPChecker(t, dpop.Config{RequireNonce: true})})
	key := dpoptest.NewKey("ES256")
	bound := tokenFor(t, iss, iss.Client(), key)
	p := dpoptest.Proof{Method: "GET", URL: base + "/orders/1", Token: bound}
	a := call(t, http.DefaultClient, base+"/orders/1", "DPoP "+bound, key.Sign(p))
	want := `DPoP realm="orders", error="use_dpop_nonce", error_description="the DPoP proof must carry the nonce of the DPoP-Nonce header", ` + algs
	if a.status != 401 || a.nonce == "" || len(a.challenge) == 0 || a.challenge[0] != want {
		t.Fatalf("GET without a nonce = %d nonce %q %q, want 401 use_dpop_nonce and a DPoP-Nonce", a.status, a.nonce, a.challenge)
	}
	p.Nonce = a.nonce
	if a := call(t, http.DefaultClient, base+"/orders/1", "DPoP "+bound, key.Sign(p)); a.status != 200 || a.nonce == "" {
		t.Fatalf("GET with the nonce = %d nonce %q, want 200 with the next nonce", a.status, a.nonce)
	}
}
