package security_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/verifier"

	"github.com/tokengate/tokengate/issuertest"
)

// The acceptance suite of issue #7: one file per attack group, each case a
// test or a table row named for the attack it stops. Every case asserts
// the exact sentinel the verifier returns and, through the real
// middleware on a loopback server, the status and WWW-Authenticate the
// client gets.

// The challenges of the behaviour table (DESIGN.md) for the zero Guard,
// which has no realm.
const (
	chBare         = `Bearer`
	chInvalid      = `Bearer error="invalid_token", error_description="the access token is invalid"`
	chBadSignature = `Bearer error="invalid_token", error_description="the token's signature is not valid"`
	chAlgorithm    = `Bearer error="invalid_token", error_description="the token's algorithm is not allowed"`
	chMalformedTok = `Bearer error="invalid_token", error_description="the access token is malformed"`
	chWrongIssuer  = `Bearer error="invalid_token", error_description="the token's issuer is not trusted by this API"`
	chWrongAud     = `Bearer error="invalid_token", error_description="the token's audience is not this API"`
	chNotYetValid  = `Bearer error="invalid_token", error_description="the token is not valid yet"`
	chExpired      = `Bearer error="invalid_token", error_description="the access token expired"`
	chNotAccess    = `Bearer error="invalid_token", error_description="the token is not an access token"`
	chTooLarge     = `Bearer error="invalid_token", error_description="the access token is too large"`
	chMalformed    = `Bearer error="invalid_request", error_description="the bearer credential is malformed"`
	chTwoTokens    = `Bearer error="invalid_request", error_description="the request carries more than one access token"`
	chNoChallenge  = ""
	handlerAnswer  = "protected resource"
	maxHeaderBytes = 4 << 20 // lets a 1 MiB token reach the middleware
)

// want is what one attack must get: the most specific sentinel from
// Verify, and the HTTP answer through the middleware.
type want struct {
	err       error
	status    int
	challenge string
}

var (
	invalidToken = want{verifier.ErrInvalidToken, http.StatusUnauthorized, chInvalid}
	expired      = want{verifier.ErrTokenExpired, http.StatusUnauthorized, chExpired}
	notAccess    = want{verifier.ErrNotAccessToken, http.StatusUnauthorized, chNotAccess}
	unavailable  = want{verifier.ErrUnavailable, http.StatusServiceUnavailable, chNoChallenge}
	// The finer classes of invalid_token: the description names the check
	// that failed, never its values.
	badSignature   = want{verifier.ErrBadSignature, http.StatusUnauthorized, chBadSignature}
	algNotAllowed  = want{verifier.ErrAlgorithmNotAllowed, http.StatusUnauthorized, chAlgorithm}
	malformedToken = want{verifier.ErrMalformedToken, http.StatusUnauthorized, chMalformedTok}
	wrongIssuer    = want{verifier.ErrWrongIssuer, http.StatusUnauthorized, chWrongIssuer}
	wrongAudience  = want{verifier.ErrWrongAudience, http.StatusUnauthorized, chWrongAud}
	notYetValid    = want{verifier.ErrNotYetValid, http.StatusUnauthorized, chNotYetValid}
	// malformedHTTP is a token the verifier refuses as invalid but whose
	// characters the middleware already refuses as a malformed credential
	// (RFC 6750 §2.1 b64token), before any verifier runs.
	malformedHTTP = want{verifier.ErrMalformedToken, http.StatusBadRequest, chMalformed}
)

// sentinels are the verifier's classes, most specific first.
var sentinels = []error{
	verifier.ErrTokenExpired, verifier.ErrNotAccessToken, verifier.ErrBadSignature,
	verifier.ErrAlgorithmNotAllowed, verifier.ErrMalformedToken, verifier.ErrWrongIssuer,
	verifier.ErrWrongAudience, verifier.ErrNotYetValid, verifier.ErrSenderConstrained,
	verifier.ErrInvalidToken,
	verifier.ErrUnavailable, verifier.ErrNoToken, verifier.ErrInvalidRequest,
}

// wantSentinel fails unless err matches want and no sentinel that want does
// not imply: ErrInvalidToken must not also be ErrTokenExpired, ErrUnavailable
// must not be ErrInvalidToken, and so on.
func wantSentinel(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s error = %v, want %v", what, err, want)
	}
	for _, s := range sentinels {
		if s != want && errors.Is(err, s) && !errors.Is(want, s) {
			t.Fatalf("%s error = %v: matches %v as well as %v", what, err, s, want)
		}
	}
}

// gate is a protected route on a loopback server: the real middleware in
// front of a handler that counts the requests that reach it. calls counts
// the verifier's calls.
type gate struct {
	v       verifier.TokenVerifier
	url     string
	client  *http.Client
	reached atomic.Int64
	calls   atomic.Int64
}

// newGate serves middleware g (nil: the zero Guard) with v on a loopback
// server closed at the end of the test.
func newGate(t testing.TB, v verifier.TokenVerifier, g *middleware.Guard) *gate {
	t.Helper()
	gt := &gate{v: v}
	counted := verifier.TokenVerifierFunc(func(ctx context.Context, token string) (*verifier.Claims, error) {
		gt.calls.Add(1)
		return v.Verify(ctx, token)
	})
	h := g.Require(counted)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gt.reached.Add(1)
		io.WriteString(w, handlerAnswer)
	}))
	srv := httptest.NewUnstartedServer(h)
	srv.Config.MaxHeaderBytes = maxHeaderBytes
	srv.Start()
	t.Cleanup(srv.Close)
	gt.url, gt.client = srv.URL, srv.Client()
	return gt
}

// answer is what a client saw.
type answer struct {
	status     int
	challenge  string
	retryAfter string
	body       string
}

// send makes a request with the given Authorization values to the gate.
func (g *gate) send(t testing.TB, req *http.Request, auth ...string) answer {
	t.Helper()
	for _, a := range auth {
		req.Header.Add("Authorization", a)
	}
	res, err := g.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	return answer{res.StatusCode, res.Header.Get("WWW-Authenticate"), res.Header.Get("Retry-After"), string(body)}
}

// get sends GET / with the given Authorization values.
func (g *gate) get(t testing.TB, auth ...string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, g.url+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	return g.send(t, req, auth...)
}

// wantAnswer checks an answer against w and that nothing echoes secret.
func wantAnswer(t testing.TB, a answer, w want, secret string) {
	t.Helper()
	if a.status != w.status {
		t.Fatalf("status = %d (%q), want %d", a.status, a.body, w.status)
	}
	if a.challenge != w.challenge {
		t.Errorf("WWW-Authenticate = %q, want %q", a.challenge, w.challenge)
	}
	if (a.retryAfter != "") != (w.status == http.StatusServiceUnavailable) {
		t.Errorf("Retry-After = %q on a %d", a.retryAfter, a.status)
	}
	if len(secret) > 8 && strings.Contains(a.body+a.challenge, secret) {
		t.Errorf("the response echoes the token")
	}
}

// refuses checks that the gate's verifier refuses token with w.err, and
// that the middleware answers as w says without calling the handler.
func (g *gate) refuses(t testing.TB, token string, w want) {
	t.Helper()
	c, err := g.v.Verify(t.Context(), token)
	if c != nil {
		t.Fatalf("Verify() accepted the token: claims %+v", c)
	}
	wantSentinel(t, "Verify()", err, w.err)
	if strings.Contains(err.Error(), token) && len(token) > 8 {
		t.Errorf("Verify() error text contains the token")
	}
	before := g.reached.Load()
	wantAnswer(t, g.get(t, "Bearer "+token), w, token)
	if g.reached.Load() != before {
		t.Errorf("the protected handler ran for a refused token")
	}
}

// accepts checks that token verifies and passes the middleware: the
// control case that shows a refusal is about the attack, not the setup.
func (g *gate) accepts(t testing.TB, token string) {
	t.Helper()
	if _, err := g.v.Verify(t.Context(), token); err != nil {
		t.Fatalf("Verify(control token) error = %v, want nil", err)
	}
	if a := g.get(t, "Bearer "+token); a.status != http.StatusOK || a.body != handlerAnswer {
		t.Fatalf("GET with the control token = %d %q, want 200", a.status, a.body)
	}
}

func newClock(start time.Time) *issuertest.Clock { return issuertest.NewClock(start) }

// counter is a loopback server that counts its requests and answers 200
// with body, for the addresses an attacker hopes a verifier will fetch.
type counter struct {
	*httptest.Server
	hits atomic.Int64
}

func newCounter(t testing.TB, body string) *counter {
	t.Helper()
	c := &counter{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		io.WriteString(w, body)
	}))
	t.Cleanup(c.Close)
	return c
}
