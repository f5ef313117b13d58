package middleware_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// The token cap has one knob, the verifier's: these tests raise
// Config.MaxTokenBytes of a real verifier and nothing else, and send a
// 12 KiB token through a real server.

const (
	raisedCap = 16 << 10
	tooLarge  = `Bearer error="invalid_token", error_description="the access token is too large"`
)

// capRow is one setting of the two knobs and the answer it must get.
type capRow struct {
	name       string
	verifier   int // Config.MaxTokenBytes of the verifier
	guard      int // Guard.MaxTokenBytes
	wantStatus int
	wantAuth   string
}

var capRows = []capRow{
	{name: "default cap refuses before the verifier", wantStatus: 401, wantAuth: tooLarge},
	{name: "raising the verifier's cap alone admits it", verifier: raisedCap, wantStatus: 200},
	{name: "a guard cap above the verifier's has no effect", guard: 64 << 10, wantStatus: 401, wantAuth: tooLarge},
	{name: "a guard cap still tightens it", verifier: raisedCap, guard: 8 << 10, wantStatus: 401, wantAuth: tooLarge},
}

// okHandler is the protected route: 200 and nothing else.
var okHandler = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// wantCapAnswer puts v behind a Guard with the row's cap on a loopback
// server, sends it a GET with the bearer token, and checks the answer.
func wantCapAnswer(t testing.TB, v verifier.TokenVerifier, tt capRow, token string) {
	t.Helper()
	h := (&middleware.Guard{MaxTokenBytes: tt.guard}).Require(v, scopes.All("orders:read"))(okHandler)
	status, challenge := getWith(t, h, token)
	if status != tt.wantStatus {
		t.Fatalf("status = %d, want %d", status, tt.wantStatus)
	}
	if challenge != tt.wantAuth {
		t.Errorf("WWW-Authenticate = %q, want %q", challenge, tt.wantAuth)
	}
}

// getWith serves h on a loopback server, sends it a GET with the bearer
// token and returns the status and the challenge.
func getWith(t testing.TB, h http.Handler, token string) (int, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode, res.Header.Get("WWW-Authenticate")
}

func TestVerifierTokenCapAdmitsA12KiBJWT(t *testing.T) {
	iss := issuertest.NewServer()
	defer iss.Close()
	long := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice, Scopes: []string{"orders:read"},
		Claims: map[string]any{"groups": strings.Repeat("g", 9<<10)}})
	if n := len(long); n < 12<<10 || n > raisedCap {
		t.Fatalf("len(token) = %d, want a token of 12 to 16 KiB", n)
	}
	for _, tt := range capRows {
		t.Run(tt.name, func(t *testing.T) {
			v, err := verifier.New(t.Context(), verifier.Config{Issuer: iss.URL, Audience: iss.Audience(), HTTPClient: iss.Client(), MaxTokenBytes: tt.verifier})
			if err != nil {
				t.Fatalf("verifier.New() error = %v", err)
			}
			defer v.Close()
			wantCapAnswer(t, v, tt, long)
		})
	}
}

func TestIntrospectorTokenCapAdmitsA12KiBToken(t *testing.T) {
	const aud = "https://api.example.test"
	long := strings.Repeat("o", 12<<10)
	var calls, fullToken atomic.Int32
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.PostFormValue("token") == long {
			fullToken.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"active": true, "aud": aud, "sub": issuertest.Alice, "scope": "orders:read"})
	}))
	defer endpoint.Close()
	for _, tt := range capRows {
		t.Run(tt.name, func(t *testing.T) {
			calls.Store(0)
			fullToken.Store(0)
			in, err := introspection.New(t.Context(), introspection.Config{
				Endpoint: endpoint.URL, ClientID: "api", ClientSecret: "secret", Audience: aud,
				HTTPClient: endpoint.Client(), MaxTokenBytes: tt.verifier,
			})
			if err != nil {
				t.Fatalf("introspection.New() error = %v", err)
			}
			defer in.Close()
			calls.Store(0) // New checked the credentials with one call of its own
			wantCapAnswer(t, in, tt, long)
			wantCalls := int32(0)
			if tt.wantStatus == 200 {
				wantCalls = 1
			}
			if calls.Load() != wantCalls || fullToken.Load() != wantCalls {
				t.Errorf("the endpoint got %d calls (%d with the whole token), want %d", calls.Load(), fullToken.Load(), wantCalls)
			}
		})
	}
}
